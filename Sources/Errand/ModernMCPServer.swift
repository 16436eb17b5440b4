import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Logging

/// The MCP 2026-07-28 method dispatcher with the tasks extension: stateless (every request carries its own
/// version and capabilities), on the same catalog, engine and task store as the 2025-11-25 sessions.
/// It knows JSON-RPC, not HTTP; ``StreamableHTTPEndpoint`` maps its answers to statuses.
final class ModernMCPServer: Sendable {
    /// How one modern request is answered.
    enum Reply: Sendable {
        /// A result; `resultType` is already in it.
        case result(JSONRPCID, JSONValue)
        case error(JSONRPCID?, JSONRPCError)
        /// An SSE stream (`subscriptions/listen`).
        case stream(SSEStream)
    }

    let liveCatalog: LiveCatalog
    /// The catalog as it is now.
    var catalog: Catalog { liveCatalog.current }
    let engine: any TaskService
    let configuration: MCPConfiguration
    let runner: CatalogRunner
    let submissionRate: SubmissionRateLimiter
    let events: ModernTaskEvents
    let clock: any EngineClock
    let logger: Logger

    init(
        liveCatalog: LiveCatalog, engine: any TaskService, configuration: MCPConfiguration, runner: CatalogRunner,
        submissionRate: SubmissionRateLimiter, clock: any EngineClock, logger: Logger
    ) {
        self.liveCatalog = liveCatalog
        self.engine = engine
        self.configuration = configuration
        self.runner = runner
        self.submissionRate = submissionRate
        self.events = ModernTaskEvents(events: engine.events)
        self.clock = clock
        self.logger = logger
    }

    func shutdown() { events.stop() }

    /// Answers one validated request; JSON-RPC errors come back as ``Reply/error(_:_:)``.
    func reply(to request: ModernMCPRequest, caller: Caller) async -> Reply {
        do {
            switch request.method {
            case "server/discover": return .result(request.id, discoverResult)
            case "ping": return .result(request.id, ["resultType": "complete"])
            case "tools/list":
                // `execution.taskSupport` is the 2025-11-25 negotiation; here the server decides per call.
                let catalog = self.catalog
                let tools = catalog.tools(visibleTo: owner(caller)).map {
                    catalog.listing(of: $0).setting("execution", to: nil)
                }
                return cacheable(request, ["tools": .array(tools)])
            case "resources/list": return cacheable(request, ["resources": .array(catalog.resources.map(\.listing))])
            case "resources/templates/list": return cacheable(request, ["resourceTemplates": []])
            case "prompts/list": return cacheable(request, ["prompts": .array(catalog.prompts.map(\.listing))])
            case "tools/call": return try await callTool(request, caller: caller)
            case "resources/read":
                guard let uri = request.params["uri"]?.stringValue else {
                    throw JSONRPCError.invalidParams("resources/read needs a string 'uri'")
                }
                guard catalog.resource(uri: uri) != nil else {
                    throw JSONRPCError(
                        code: JSONRPCError.resourceNotFoundCode, message: "Resource not found",
                        data: ["uri": .string(uri)])
                }
                return try await runInline(request, kind: .resourceRead, target: uri, arguments: [:], caller: caller)
            case "prompts/get":
                guard let name = request.params["name"]?.stringValue, catalog.prompt(named: name) != nil else {
                    throw JSONRPCError.invalidParams("prompts/get needs the 'name' of a known prompt")
                }
                let arguments = request.params["arguments"] ?? [:]
                return try await runInline(
                    request, kind: .promptGet, target: name, arguments: arguments, caller: caller)
            case "tasks/get": return try await getTask(request, caller: caller)
            case "tasks/update": return try await updateTask(request, caller: caller)
            case "tasks/cancel": return try await cancelTask(request, caller: caller)
            case "subscriptions/listen": return try await listen(request, caller: caller)
            default:
                // Includes tasks/list and tasks/result, which the extension removed.
                return .error(request.id, .methodNotFound("Method not found: \(request.method)"))
            }
        } catch let error as JSONRPCError {
            return .error(request.id, error)
        } catch {
            return .error(request.id, .internalError("\(error)"))
        }
    }

    private func complete(_ request: ModernMCPRequest, _ result: JSONValue) -> Reply {
        .result(request.id, result.setting("resultType", to: "complete"))
    }

    /// A list result with the caching hints the schema requires: not to be reused (`ttlMs` 0), and only
    /// within one authorization context (with authentication, what a principal sees may differ).
    private func cacheable(_ request: ModernMCPRequest, _ result: JSONValue) -> Reply {
        complete(request, result.setting("ttlMs", to: 0).setting("cacheScope", to: "private"))
    }

    /// `server/discover`: both eras' versions, the core capabilities and the tasks extension (never the legacy
    /// `tasks` capability), and the server's identity in `_meta`.
    var discoverResult: JSONValue {
        var result: [String: JSONValue] = [
            "resultType": "complete", "ttlMs": 0, "cacheScope": "private",
            "supportedVersions": .array(ModernMCP.supportedVersions.map { .string($0) }),
            "capabilities": [
                "tools": ["listChanged": false],
                "resources": ["subscribe": false, "listChanged": false],
                "prompts": ["listChanged": false],
                "extensions": [ModernMCP.tasksExtension: [:]],
            ],
            "_meta": [
                ModernMCP.MetaKey.serverInfo: [
                    "name": .string(configuration.serverName), "version": .string(configuration.serverVersion),
                ]
            ],
        ]
        if let instructions = configuration.instructions { result["instructions"] = .string(instructions) }
        return .object(result)
    }

    /// Who the request acts for: the principal with authentication; without, one owner per remote address
    /// (only for quotas: without a principal a task id is the capability to reach it).
    func owner(_ caller: Caller) -> TaskOwner { caller.owner(session: ModernMCP.ownerPrefix + caller.client) }

    /// Runs a resource read or prompt inline through the runner tasks use; the handler cannot ask for input.
    private func runInline(
        _ request: ModernMCPRequest, kind: TaskKind, target: String, arguments: JSONValue, caller: Caller
    ) async throws -> Reply {
        let now = clock.nowMs()
        let record = TaskRecord(
            id: TaskID("inline"), owner: owner(caller), kind: kind, target: target, arguments: arguments,
            status: .working, createdAt: now, lastUpdatedAt: now, ttlMs: nil, pollIntervalMs: 0)
        let context = TaskContext(
            taskID: record.id, attempt: 1, reportProgress: { _ in },
            requestInput: { _ in throw ToolError("Inline requests cannot ask for input") })
        switch await runner.run(record, context: context).outcome {
        case .result(let value): return kind == .resourceRead ? cacheable(request, value) : complete(request, value)
        case .error(let error): throw error
        }
    }
}
