public import ErrandEngine
public import ErrandHTTP
public import ErrandProtocol
public import Logging

/// The MCP method dispatcher: sessions, version negotiation, tools/resources/prompts, and the Tasks methods.
/// It knows JSON-RPC, not HTTP framing; ``StreamableHTTPEndpoint`` carries it over HTTP.
public final class MCPServer: Sendable {
    /// How one request is answered.
    public enum Reply: Sendable {
        /// One JSON-RPC response.
        case message(JSONRPCMessage)
        /// An event stream that carries notifications and, last, the response.
        case stream(SSEStream)
        /// Nothing: the request was cancelled by the client.
        case none
    }

    /// The catalog served, replaceable while the server runs.
    public let liveCatalog: LiveCatalog
    /// The catalog as it is now.
    public var catalog: Catalog { liveCatalog.current }
    public let engine: any TaskService
    public let configuration: MCPConfiguration
    let runner: CatalogRunner
    let sessions: MCPSessionStore
    /// Messages dropped from overflowing session backlogs since the server started (``MCPSession``).
    let backlogDrops = Metrics.Counter()
    let notifier: TaskNotifier
    /// The stateless MCP 2026-07-28 era with the tasks extension, on the same engine.
    let modern: ModernMCPServer
    /// Input requests of plain tool calls waiting for the client's answer.
    let inlineInputs = InlineInputRequests()
    /// Task submissions per minute, per owner; shared with the REST API.
    let submissionRate: SubmissionRateLimiter
    let clock: any EngineClock
    let logger: Logger

    public convenience init(
        catalog: Catalog, engine: any TaskService, configuration: MCPConfiguration = .init(),
        clock: any EngineClock = SystemEngineClock(), logger: Logger = Logger(label: "errand.mcp")
    ) {
        self.init(
            liveCatalog: LiveCatalog(catalog), engine: engine, configuration: configuration, clock: clock,
            logger: logger)
    }

    public init(
        liveCatalog: LiveCatalog, engine: any TaskService, configuration: MCPConfiguration = .init(),
        clock: any EngineClock = SystemEngineClock(), logger: Logger = Logger(label: "errand.mcp")
    ) {
        self.liveCatalog = liveCatalog
        self.engine = engine
        self.configuration = configuration
        self.runner = CatalogRunner(liveCatalog: liveCatalog, logger: logger)
        self.sessions = MCPSessionStore(
            idleTimeoutMs: configuration.sessionIdleTimeoutMs, maxSessions: configuration.maxSessions)
        self.notifier = TaskNotifier(sessions: sessions, engine: engine)
        self.submissionRate = SubmissionRateLimiter(clock: clock)
        self.modern = ModernMCPServer(
            liveCatalog: liveCatalog, engine: engine, configuration: configuration, runner: runner,
            submissionRate: submissionRate, clock: clock, logger: logger)
        self.clock = clock
        self.logger = logger
    }

    /// Live sessions.
    public var sessionCount: Int { sessions.count }

    /// Messages dropped from overflowing session backlogs since the server started, ended sessions included.
    public var droppedBacklogMessages: Int { backlogDrops.current }

    /// Ends every session (server shutdown) and stops listening to task events.
    public func shutdown() {
        notifier.stop()
        modern.shutdown()
        for session in sessions.all { sessions.remove(session.id) }
    }

    /// Ends sessions idle past the timeout; returns how many.
    @discardableResult
    public func expireIdleSessions() -> Int {
        let expired = sessions.expireIdle(nowMs: clock.nowMs())
        for id in expired { notifier.sessionEnded(id) }
        return expired.count
    }

    /// The session `id` if it belongs to `principal` (`nil` without authentication).
    func session(_ id: String, principal: String?) -> MCPSession? {
        guard let session = sessions.session(id), session.owner.principal == principal else { return nil }
        session.touch(nowMs: clock.nowMs())
        return session
    }

    /// Ends a session; `false` if there was none.
    func endSession(_ id: String) -> Bool {
        guard sessions.remove(id) else { return false }
        notifier.sessionEnded(id)
        return true
    }

    /// Makes `stream` the session's GET stream and sends it the input requests still waiting for an answer.
    /// `false` if the session ended meanwhile.
    func openEventStream(_ stream: SSEStream, for session: MCPSession) -> Bool {
        guard session.attachGetStream(stream) else { return false }
        notifier.redeliverInputs(to: session)
        return true
    }

    /// Answers methods that never suspend (no engine call, no tool run); `nil` means use ``reply(...)``.
    func immediateReply(id: JSONRPCID, method: String, params: JSONValue?, session: MCPSession) -> JSONRPCMessage? {
        switch method {
        case "ping": return .result(id: id, result: [:])
        case "logging/setLevel":
            let names = TaskLogLevel.allCases.map(\.rawValue).joined(separator: ", ")
            guard let name = params?["level"]?.stringValue, let level = TaskLogLevel(rawValue: name) else {
                return .error(id: id, error: .invalidParams("logging/setLevel needs 'level', one of: \(names)"))
            }
            session.logLevel = level
            return .result(id: id, result: [:])
        case "tools/list": return .result(id: id, result: toolsList(session: session))
        case "resources/list": return .result(id: id, result: ["resources": .array(catalog.resources.map(\.listing))])
        case "resources/templates/list": return .result(id: id, result: ["resourceTemplates": []])
        case "prompts/list": return .result(id: id, result: ["prompts": .array(catalog.prompts.map(\.listing))])
        case "tools/call", "resources/read", "prompts/get": return nil
        case "tasks/get", "tasks/result", "tasks/list", "tasks/cancel":
            return session.supportsTasks
                ? nil
                : .error(id: id, error: .methodNotFound("Method not found: \(method) (tasks need protocol 2025-11-25)"))
        default: return .error(id: id, error: .methodNotFound("Method not found: \(method)"))
        }
    }

    /// Answers a request that may suspend.
    func reply(
        id: JSONRPCID, method: String, params: JSONValue?, session: MCPSession, caller: Caller,
        acceptsEventStream: Bool
    ) async -> Reply {
        if let quick = immediateReply(id: id, method: method, params: params, session: session) {
            return .message(quick)
        }
        let params = params ?? [:]
        do {
            switch method {
            case "tools/call":
                return try await callTool(
                    id: id, params: params, session: session, caller: caller, acceptsEventStream: acceptsEventStream)
            case "resources/read":
                return try await readResource(id: id, params: params, session: session, caller: caller)
            case "prompts/get":
                return try await getPrompt(id: id, params: params, session: session, caller: caller)
            case "tasks/get": return .message(try await getTask(id: id, params: params, session: session))
            case "tasks/result": return .message(try await taskResult(id: id, params: params, session: session))
            case "tasks/list": return .message(try await listTasks(id: id, params: params, session: session))
            case "tasks/cancel": return .message(try await cancelTask(id: id, params: params, session: session))
            default: return .message(.error(id: id, error: .methodNotFound("Method not found: \(method)")))
            }
        } catch {
            return .message(.error(id: id, error: error))
        }
    }

    /// Handles a notification from the client (never answered).
    func receive(notification method: String, params: JSONValue?, session: MCPSession) {
        switch method {
        case "notifications/cancelled":
            // Tasks are cancelled with tasks/cancel; this only stops plain requests still in flight.
            if let requestID = params?["requestId"].flatMap(JSONRPCID.init) { session.cancelRequest(requestID) }
        default:
            break  // notifications/initialized, roots changes and unknown notifications need no action.
        }
    }

    /// Handles a response the client POSTed to a request the server sent (e.g. an elicitation answer).
    func receive(response id: JSONRPCID, outcome: Result<JSONValue, JSONRPCError>, session: MCPSession) async {
        if inlineInputs.answer(id, outcome: outcome, from: session.id) { return }
        await notifier.deliverInputResponse(id: id, outcome: outcome, from: session)
    }

    func toolsList(session: MCPSession) -> JSONValue {
        [
            "tools": .array(
                catalog.tools(visibleTo: session.owner).map { tool in
                    // Without the Tasks revision, `execution` means nothing to the client.
                    session.supportsTasks
                        ? catalog.listing(of: tool) : catalog.listing(of: tool).setting("execution", to: nil)
                })
        ]
    }
}
