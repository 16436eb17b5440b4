public import ErrandEngine
public import ErrandHTTP
import ErrandProtocol
public import Logging

/// The whole server: routes HTTP requests to the MCP endpoint, the REST API, health checks and the dashboard,
/// in front of one task engine.
public final class ErrandApplication: HTTPResponder {
    public let configuration: ErrandConfiguration
    public let engine: TaskEngine
    public let mcp: MCPServer
    let endpoint: StreamableHTTPEndpoint
    let staticFiles: StaticFiles?
    let requestGuard: RequestGuard
    let logger: Logger

    public init(
        configuration: ErrandConfiguration, catalog: Catalog, store: any TaskStore,
        clock: any EngineClock = SystemEngineClock(), logger: Logger
    ) {
        self.configuration = configuration
        self.logger = logger
        let runner = CatalogRunner(catalog: catalog, logger: logger)
        self.engine = TaskEngine(
            store: store, runner: runner, configuration: configuration.engine, clock: clock, logger: logger)
        self.mcp = MCPServer(
            catalog: catalog, engine: engine, configuration: configuration.mcp, clock: clock, logger: logger)
        self.endpoint = StreamableHTTPEndpoint(server: mcp, streamLimits: configuration.streamLimits)
        self.staticFiles = configuration.publicDirectory.map { StaticFiles(directory: $0) }
        self.requestGuard = RequestGuard.forBinding(
            host: configuration.http.host, extraOrigins: configuration.allowedOrigins)
    }

    public func reply(to request: HTTPRequest) -> HTTPReply {
        let path = request.path
        switch path {
        case "/healthz":
            return .immediate(.text(200, "ok\n"))
        case "/mcp":
            if let refusal = requestGuard.check(request) { return .immediate(refusal) }
            return endpoint.reply(to: request)
        default:
            if path.hasPrefix("/api/") {
                if let refusal = requestGuard.check(request) { return .immediate(refusal) }
                return .immediate(.text(404, "No such API route: \(path)\n"))
            }
            if request.method == "GET" || request.method == "HEAD",
                let file = staticFiles?.response(for: path, method: request.method)
            {
                return .immediate(file)
            }
            return .immediate(.text(404, "Not found: \(path)\n"))
        }
    }

    /// Starts the engine (recovering stored tasks) and the session sweeper.
    public func start() async throws {
        try await engine.start()
        let interval = configuration.sessionSweepInterval
        Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self else { return }
                let expired = self.mcp.expireIdleSessions()
                if expired > 0 { self.logger.info("expired idle sessions", metadata: ["count": "\(expired)"]) }
            }
        }
    }

    /// Ends sessions and stops the engine.
    public func shutdown() async {
        mcp.shutdown()
        await engine.shutdown()
    }
}
