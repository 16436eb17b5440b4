import ErrandCommandLine
import ErrandDemo

// The `errand` binary: the Errand command line with the demo tools.
await ErrandCommand.main(
    program: ErrandProgram(
        abstract: "An MCP server for long-running work: tasks that outlive the connection that started them.",
        makeCatalog: DemoCatalog.make))
