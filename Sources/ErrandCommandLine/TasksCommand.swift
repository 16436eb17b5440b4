import ArgumentParser
import ErrandClient
import ErrandProtocol
import Foundation

/// `errand tasks list|get|result|cancel|watch|log`: tasks on an MCP server, by id.
struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "List, inspect, wait for, watch, cancel tasks and read their logs, by task id.",
        discussion: ClientExitCode.helpText,
        subcommands: [
            TasksList.self, TasksGet.self, TasksResult.self, TasksCancel.self, TasksWatch.self, TasksLog.self,
        ])
}

struct TasksList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the tasks the server shows you (MCP 2025-11-25 tasks/list).",
        discussion: """
            The 2026-07-28 tasks extension has no list, so this speaks 2025-11-25 unless --protocol says otherwise. \
            What a new session may list is the server's choice: Errand lists the tasks of your principal (and \
            team) when it requires a token, and only the session's own without authentication (see every task \
            on its dashboard or GET /api/tasks). \(ClientExitCode.helpText)
            """)

    @Option(help: "At most this many tasks (pages are followed until then).")
    var limit: Int = 100

    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
    }

    func run() async throws {
        var configuration = try client.configuration
        if configuration.protocolPreference == .automatic { configuration.protocolPreference = .legacy }
        let mcp = MCPClient(configuration: configuration)
        try await ClientRun.run(json: client.json, closing: mcp) {
            var tasks: [TaskSnapshot] = []
            var cursor: String?
            repeat {
                let page = try await mcp.listTasks(cursor: cursor)
                tasks += page.tasks
                cursor = page.nextCursor
            } while cursor != nil && tasks.count < limit
            tasks = Array(tasks.prefix(limit))
            if client.json {
                Terminal.json(.array(tasks.map(\.json)))
            } else {
                for task in tasks {
                    Terminal.out(
                        [task.taskID, "\(task.status)", task.lastUpdatedAt ?? "-", task.statusMessage ?? ""]
                            .joined(separator: "\t"))
                }
            }
            return .completed
        }
    }
}

struct TasksGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Show a task's status now (tasks/get).", discussion: ClientExitCode.helpText)

    @Argument(help: "The task id.") var id: String
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let mcp = try client.client()
        try await ClientRun.run(json: client.json, closing: mcp) {
            let snapshot = try await mcp.task(id).status()
            Terminal.printStatus(snapshot, json: client.json)
            return .completed
        }
    }
}

struct TasksResult: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "result",
        abstract: "Wait for a task to end and print its result.",
        discussion: "The exit status tells how it ended. \(ClientExitCode.helpText)")

    @Argument(help: "The task id.") var id: String
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let mcp = try client.client()
        try await ClientRun.run(json: client.json, closing: mcp) {
            let handle = mcp.task(id)
            let outcome = try await handle.outcome()
            outcome.print(json: client.json, taskID: id)
            return ClientExitCode(outcome)
        }
    }
}

struct TasksCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Ask the server to cancel a task (tasks/cancel).",
        discussion: ClientExitCode.helpText)

    @Argument(help: "The task id.") var id: String
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let mcp = try client.client()
        try await ClientRun.run(json: client.json, closing: mcp) {
            let handle = mcp.task(id)
            try await handle.cancel()
            let snapshot = try await handle.status()
            Terminal.printStatus(snapshot, json: client.json)
            return .completed
        }
    }
}

struct TasksWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print a task's status changes (and progress, log lines) until it ends.",
        discussion: """
            Listens where the server pushes (2025-11-25 GET stream, 2026-07-28 subscriptions/listen) and polls \
            tasks/get otherwise. The exit status tells how the task ended. \(ClientExitCode.helpText)
            """)

    @Argument(help: "The task id.") var id: String
    @Flag(help: "Poll tasks/get only, even where the server pushes changes.") var poll = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        var configuration = try client.configuration
        configuration.usesPush = !poll
        let mcp = MCPClient(configuration: configuration)
        try await ClientRun.run(json: client.json, closing: mcp) {
            let handle = mcp.task(id)
            let follower = TaskFollower(
                handle: handle, style: TaskFollower.style(json: client.json, updatesOnStdout: true),
                canAsk: !client.json && Terminal.stdinIsTerminal)
            let terminal = try await follower.follow()
            let outcome = try await handle.outcome(of: terminal)
            if client.json { Terminal.json(outcome.json(taskID: id)) }
            return ClientExitCode(outcome)
        }
    }
}

struct TasksLog: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print a task's log (Errand servers only: GET /api/tasks/{id}/log beside the MCP endpoint).",
        discussion: """
            MCP has no method to read a task's log, so this uses Errand's REST endpoint, derived from --url \
            (…/mcp → …/api/tasks/ID/log); against another server it stops with status 4. --follow prints new \
            lines as they are written until the task ends. \(ClientExitCode.helpText)
            """)

    @Argument(help: "The task id.") var id: String
    @Flag(help: "Keep printing new lines until the task ends.") var follow = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let log = ErrandTaskLog(configuration: try client.configuration)
        try await ClientRun.run(json: client.json) {
            if follow {
                for try await line in log.follow(id) {
                    if client.json {
                        Terminal.json(["level": .string(line.level), "text": .string(line.text)])
                    } else {
                        Terminal.out("\(line.level) \(line.text)")
                    }
                }
            } else {
                let text = try await log.text(of: id)
                if client.json {
                    Terminal.json(["taskId": .string(id), "log": .string(text)])
                } else {
                    Terminal.write(STDOUT_FILENO, text)
                }
            }
            return .completed
        }
    }
}
