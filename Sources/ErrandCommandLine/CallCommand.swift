import ArgumentParser
import ErrandClient
import ErrandProtocol

/// `errand call TOOL [k=v …]`: calls a tool on an MCP server, plainly or as a task.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call a tool on an MCP server (Errand or any other), plainly or as a task.",
        discussion: """
            Arguments are key=value words; a value is read as JSON when it is valid JSON (3, 2.5, true, null, \
            ["a"], {"x":1}, "quoted"), else as a string: `errand call sleep seconds=2`, \
            `errand call approve_deployment service=api --task`. --args takes a whole JSON object (or @file); \
            key=value words override its keys.

            With --task the call runs as a task: live progress (a progress bar and status message on a terminal, \
            plain lines when stderr is piped), then the result on stdout. A question the task asks is asked on the \
            terminal; with --json or without a terminal the command stops with status 5 and the task waits. \
            --detach prints the task id and returns at once (follow it with `errand tasks watch ID`).

            \(ClientExitCode.helpText)
            """)

    @Argument(help: "The tool's name.")
    var tool: String

    @Argument(help: "Arguments as key=value (JSON values where valid, else strings).")
    var pairs: [String] = []

    @Option(name: .customLong("args"), help: "The arguments as one JSON object, or @FILE to read it from a file.")
    var argumentsJSON: String?

    @Flag(help: "Run the call as a task (MCP tasks) and follow it to its end.")
    var task = false

    @Flag(help: "With --task: print the task id and return at once.")
    var detach = false

    @OptionGroup var client: ClientOptions

    func validate() throws {
        if detach, !task { throw ValidationError("--detach needs --task") }
        _ = try ToolArgumentParser.arguments(pairs: pairs, json: argumentsJSON)
    }

    func run() async throws {
        let arguments = try ToolArgumentParser.arguments(pairs: pairs, json: argumentsJSON)
        let mcp = try client.client()
        let json = client.json
        try await ClientRun.run(json: json, closing: mcp) {
            guard task else {
                let result = try await mcp.callTool(tool, arguments: arguments)
                let outcome = TaskOutcome.completed(result)
                outcome.print(json: json, taskID: nil)
                return ClientExitCode(outcome)
            }
            switch try await mcp.startTask(tool, arguments: arguments) {
            case .result(let result):
                let outcome = TaskOutcome.completed(result)
                outcome.print(json: json, taskID: nil)
                return ClientExitCode(outcome)
            case .task(let handle):
                if detach {
                    if json {
                        Terminal.json(["taskId": .string(handle.id), "task": handle.created?.json ?? .null])
                    } else {
                        Terminal.out(handle.id)
                    }
                    return .completed
                }
                if !json { Terminal.err("task \(handle.id)") }
                let follower = TaskFollower(
                    handle: handle, style: TaskFollower.style(json: json, updatesOnStdout: false),
                    canAsk: !json && Terminal.stdinIsTerminal)
                let terminal = try await follower.follow()
                let outcome = try await handle.outcome(of: terminal)
                outcome.print(json: json, taskID: handle.id)
                return ClientExitCode(outcome)
            }
        }
    }
}
