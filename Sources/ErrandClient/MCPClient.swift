public import ErrandProtocol
public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An MCP client over Streamable HTTP that knows tasks, in both revisions that have them.
///
/// ```swift
/// let client = MCPClient(url: URL(string: "http://127.0.0.1:8080/mcp")!)
/// switch try await client.startTask("slow_computation", arguments: ["duration": 3]) {
/// case .result(let result):
///     print(result.text)  // the server ran it inline
/// case .task(let task):
///     for try await update in task.updates() {
///         if case .status(let snapshot) = update { print(snapshot.status, snapshot.statusMessage ?? "") }
///     }
///     print(try await task.outcome())
/// }
/// ```
///
/// **Which revision.** ``connect()`` (called by every method) follows
/// ``MCPClientConfiguration/protocolPreference``; the default tries MCP 2026-07-28 first — a `server/discover`
/// probe — and speaks it with the tasks extension when the server lists that version; on any other answer to
/// the probe it falls back to `initialize` with 2025-11-25 (a session, `params.task`, `tasks/result`). This is
/// the order the spec's versioning page and the `mcp` 2.x clients use; only an unreachable server or a refused
/// credential stops it early.
///
/// **Push or poll.** A task's ``TaskHandle/updates()`` listens where the server offers it — the session's GET
/// stream on 2025-11-25 (`notifications/tasks/status`, progress, log lines, questions), `subscriptions/listen` on
/// 2026-07-28 (`notifications/tasks`) — and polls `tasks/get` at the task's `pollInterval` otherwise. While
/// push works it still polls, slowly, because the protocol does not promise every change is pushed.
///
/// Errors: methods throw ``MCPClientError``.
public actor MCPClient {
    /// The tasks extension's identifier.
    public static let tasksExtension = "io.modelcontextprotocol/tasks"

    public nonisolated let configuration: MCPClientConfiguration
    let transport: HTTPStreamingTransport
    /// What the server said when the client connected; `nil` before ``connect()``.
    public internal(set) var server: ServerDescription?
    var sessionID: String?
    private var nextRequestID: Int64 = 1
    let push = LegacyPushHub()
    var pushStream: PushStreamState = .closed
    private var connecting: Task<ServerDescription, any Error>?

    public init(configuration: MCPClientConfiguration) {
        self.configuration = configuration
        transport = HTTPStreamingTransport(limits: configuration.limits)
    }

    /// A client for the endpoint `url` (e.g. `http://127.0.0.1:8080/mcp`).
    public init(url: URL, bearerToken: String? = nil) {
        self.init(configuration: MCPClientConfiguration(url: url, bearerToken: bearerToken))
    }

    /// Connects (negotiates the revision) unless already connected.
    @discardableResult
    public func connect() async throws -> ServerDescription {
        if let server { return server }
        // One negotiation at a time: concurrent callers wait for the first.
        if let connecting { return try await connecting.value }
        let negotiation = Task { try await negotiate() }
        connecting = negotiation
        defer { connecting = nil }
        let described = try await negotiation.value
        server = described
        return described
    }

    private func negotiate() async throws -> ServerDescription {
        let described: ServerDescription
        switch configuration.protocolPreference {
        case .modern:
            guard let modern = try await discover(fallingBack: false) else {
                throw MCPClientError.unsupported("the server does not speak MCP 2026-07-28")
            }
            described = modern
        case .legacy:
            described = try await initialize()
        case .automatic:
            if let modern = try await discover(fallingBack: true) {
                described = modern
            } else {
                described = try await initialize()
            }
        }
        return described
    }

    /// Ends the session (2025-11-25: `DELETE`) and closes any push stream.
    public func close() async {
        closePushStream()
        if let sessionID, server?.era == .legacy {
            var request = baseRequest()
            request.httpMethod = "DELETE"
            request.setValue(sessionID, forHTTPHeaderField: "Mcp-Session-Id")
            if let response = try? await transport.send(request) { response.cancel() }
        }
        sessionID = nil
        server = nil
    }

    /// `tools/list`, every page.
    public func listTools() async throws -> [ToolDescription] {
        var tools: [ToolDescription] = []
        var cursor: String?
        for _ in 0..<100 {
            var params: [String: JSONValue] = [:]
            if let cursor { params["cursor"] = .string(cursor) }
            let result = try await send("tools/list", params: .object(params))
            tools += (result["tools"]?.arrayValue ?? []).map(ToolDescription.init(json:))
            cursor = result["nextCursor"]?.stringValue
            if cursor == nil { break }
        }
        return tools
    }

    /// Calls a tool and waits for its result (not as a task), at most
    /// ``MCPClientConfiguration/Limits/callTimeout`` without a byte of the answer.
    /// - Throws: ``MCPClientError/rejected(_:)`` for an unknown tool, or a tool that only runs as a task.
    public func callTool(_ name: String, arguments: JSONValue = [:]) async throws -> ToolResult {
        let result = try await send(
            "tools/call", params: ["name": .string(name), "arguments": arguments], mcpName: name, declaresTasks: false,
            timeout: configuration.limits.callTimeout)
        if result["resultType"]?.stringValue == "input_required" {
            throw MCPClientError.unsupported("tool '\(name)' asks for input inline; call it as a task instead")
        }
        return ToolResult(json: result.setting("resultType", to: nil))
    }

    /// What a task-augmented call produced.
    public enum TaskCall: Sendable {
        /// The server created a task.
        case task(TaskHandle)
        /// The server ran the call inline (a tool that never runs as a task, on 2026-07-28).
        case result(ToolResult)
    }

    /// Calls a tool as a task: returns as soon as the server created it.
    /// - Parameter ttlMs: the retention asked for (2025-11-25; the server may change it).
    public func startTask(_ name: String, arguments: JSONValue = [:], ttlMs: Int64? = nil) async throws -> TaskCall {
        let server = try await connect()
        var params: [String: JSONValue] = ["name": .string(name), "arguments": arguments]
        var token: String?
        if server.era == .legacy {
            var task: [String: JSONValue] = [:]
            if let ttlMs { task["ttl"] = .int(ttlMs) }
            params["task"] = .object(task)
            token = "errand-client-\(nextRequestID)"
            params["_meta"] = ["progressToken": .string(token ?? "")]
        }
        let result = try await send("tools/call", params: .object(params), mcpName: name, declaresTasks: true)
        let taskJSON: JSONValue?
        switch server.era {
        case .legacy: taskJSON = result["task"]
        case .modern:
            // Not a ternary: `nil` there would become JSONValue.null (JSONValue is ExpressibleByNilLiteral).
            if result["resultType"]?.stringValue == "task" { taskJSON = result } else { taskJSON = nil }
        }
        guard let taskJSON else {
            guard result["content"] != nil else {
                throw MCPClientError.protocolViolation("tools/call answered neither a task nor a result: \(result)")
            }
            return .result(ToolResult(json: result.setting("resultType", to: nil)))
        }
        let snapshot = try TaskSnapshot(json: taskJSON)
        if let token { push.track(progressToken: token, task: snapshot.taskID) }
        return .task(TaskHandle(client: self, id: snapshot.taskID, created: snapshot))
    }

    /// A handle on a task by its id — one this client started, or one started elsewhere (another session,
    /// another device): the way to resume after a reconnect. Nothing is sent until the handle is used.
    public nonisolated func task(_ id: String) -> TaskHandle { TaskHandle(client: self, id: id, created: nil) }

    /// `tasks/list` (2025-11-25 only: the 2026-07-28 tasks extension has no list).
    public func listTasks(cursor: String? = nil) async throws -> TaskPage {
        let server = try await connect()
        guard server.era == .legacy else {
            throw MCPClientError.unsupported("the 2026-07-28 tasks extension has no tasks/list; use 2025-11-25")
        }
        var params: [String: JSONValue] = [:]
        if let cursor { params["cursor"] = .string(cursor) }
        let result = try await send("tasks/list", params: .object(params))
        var tasks: [TaskSnapshot] = []
        for task in result["tasks"]?.arrayValue ?? [] { tasks.append(try TaskSnapshot(json: task)) }
        return TaskPage(tasks: tasks, nextCursor: result["nextCursor"]?.stringValue)
    }

    func nextID() -> Int64 {
        defer { nextRequestID += 1 }
        return nextRequestID
    }
}
