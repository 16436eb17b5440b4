public import Errand
import Foundation

/// Loads command tools — any program as an MCP task tool — from a YAML or JSON file.
///
/// ```yaml
/// tools:
///   - name: count_words
///     description: Count the words of a text file
///     command: ["wc", "-w", "{path}"]
///     arguments:
///       path: {type: string, description: File to count}
///     timeout: 10m
/// ```
///
/// Keys of a tool: `name` (required; 1–128 of `A-Za-z0-9_-.`), `description`, `command` (required; the argv list,
/// never run through a shell; `{name}` is an argument, `{{`/`}}` are braces), `arguments` (JSON Schema of each
/// argument; all are required unless named in `optional`), `optional`, `task` (`forbidden`, `optional` — the
/// default — or `required`), `timeout`, `retries`, `concurrency`, `cwd` (absolute), `env`, `grace` (SIGTERM →
/// SIGKILL delay, default 10s), `allow` (principals and teams who may see the tool), `poll_interval`, and
/// `interactive` (stdin is a pipe on which `@input {JSON}` requests are answered; otherwise stdin is empty).
/// Durations are a whole number and a unit: `500ms`, `30s`, `10m`, `2h`. Any other key is an error.
///
/// Loading keeps no state: each call returns new tools, so a server can reload a file by loading it again and
/// swapping its catalog.
public enum CommandToolFile {
    /// Reads and checks the tool file at `path`.
    /// - Parameters:
    ///   - path: The file; YAML or JSON (JSON is YAML).
    ///   - limits: Bounds on output and the default grace (see ``CommandToolLimits``).
    /// - Returns: One ``Tool`` per entry, in file order.
    /// - Throws: ``CommandToolFileError`` naming the file, the line and the reason when the file cannot be read
    ///   or any entry is wrong; nothing is returned then.
    public static func load(path: String, limits: CommandToolLimits = .init()) throws(CommandToolFileError) -> [Tool] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CommandToolFileError(
                file: path, line: nil, reason: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(yaml: text, source: path, limits: limits)
    }

    /// Checks tool declarations given as text.
    /// - Parameters:
    ///   - yaml: The file's text, YAML or JSON.
    ///   - source: The name errors give for the file.
    ///   - limits: Bounds on output and the default grace (see ``CommandToolLimits``).
    /// - Returns: One ``Tool`` per entry, in order.
    /// - Throws: ``CommandToolFileError`` with the line and the reason of the first problem.
    public static func parse(
        yaml: String, source: String, limits: CommandToolLimits = .init()
    ) throws(CommandToolFileError) -> [Tool] {
        let declarations = try CommandToolDecoder(source: source, limits: limits).decodeFile(yaml)
        return declarations.map { CommandTool.make($0, limits: limits) }
    }
}
