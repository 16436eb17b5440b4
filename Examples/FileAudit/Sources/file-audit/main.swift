import ErrandCommandLine
import FileAuditTools

// `file-audit serve` serves these tools over MCP, REST and the dashboard; `file-audit --help` shows the rest.
await ErrandCommand.main(
    name: "file-audit", abstract: "Audit source trees as MCP tasks: line counts per language, fanned out per folder.",
    tools: FileAudit.tools)
