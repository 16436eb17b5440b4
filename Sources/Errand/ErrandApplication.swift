public import ErrandEngine
public import ErrandHTTP
import ErrandProtocol
public import Logging
import Synchronization

/// The whole server: routes HTTP requests to the MCP endpoint, the REST API, health checks and the dashboard,
/// in front of one task engine.
public final class ErrandApplication: HTTPResponder {
    public let configuration: ErrandConfiguration
    public let engine: any TaskService
    public let mcp: MCPServer
    let endpoint: StreamableHTTPEndpoint
    let staticFiles: StaticFiles?
    let requestGuard: RequestGuard
    let logger: Logger
    let rest: RESTAPI
    let gate: AuthGate
    /// Whether `/metrics` answers without a token (always without authentication; with it, on loopback only).
    let metricsOpen: Bool
    private let sweeper = Mutex<Task<Void, Never>?>(nil)
    private let authPoller = Mutex<Task<Void, Never>?>(nil)

    /// A server whose tasks one ``TaskEngine`` keeps in `store` and runs in this process.
    public convenience init(
        configuration: ErrandConfiguration, catalog: Catalog, store: any TaskStore,
        clock: any EngineClock = SystemEngineClock(), logger: Logger
    ) {
        self.init(configuration: configuration, catalog: catalog, clock: clock, logger: logger) { runner in
            TaskEngine(store: store, runner: runner, configuration: configuration.engine, clock: clock, logger: logger)
        }
    }

    /// A server in front of the engine `makeEngine` builds around the runner of `catalog`'s tools (a
    /// ``ClusterEngine`` to share tasks with other nodes).
    public convenience init(
        configuration: ErrandConfiguration, catalog: Catalog, clock: any EngineClock = SystemEngineClock(),
        logger: Logger, engine makeEngine: (any TaskRunner) -> any TaskService
    ) {
        self.init(
            configuration: configuration, liveCatalog: LiveCatalog(catalog), clock: clock, logger: logger,
            engine: makeEngine)
    }

    /// A server of `liveCatalog`'s tools, which may change while it runs (``updateCatalog(_:)``).
    public init(
        configuration: ErrandConfiguration, liveCatalog: LiveCatalog, clock: any EngineClock = SystemEngineClock(),
        logger: Logger, engine makeEngine: (any TaskRunner) -> any TaskService
    ) {
        self.configuration = configuration
        let authenticator = configuration.authenticator
        self.gate = AuthGate(authenticator: authenticator, anonymousLimits: configuration.defaultLimits)
        self.metricsOpen = authenticator == nil || RequestGuard.isLoopback(configuration.http.host)
        self.logger = logger
        let runner = CatalogRunner(liveCatalog: liveCatalog, logger: logger)
        self.engine = makeEngine(runner)
        runner.engine.set(engine)
        self.mcp = MCPServer(
            liveCatalog: liveCatalog, engine: engine, configuration: configuration.mcp, clock: clock, logger: logger)
        self.endpoint = StreamableHTTPEndpoint(server: mcp, streamLimits: configuration.streamLimits)
        self.staticFiles = configuration.publicDirectory.map { StaticFiles(directory: $0) }
        self.requestGuard = RequestGuard.forBinding(
            host: configuration.http.host, extraOrigins: configuration.allowedOrigins)
        self.rest = RESTAPI(
            mcp: mcp, streamLimits: configuration.streamLimits,
            openAPIPath: RESTAPI.openAPIPath(publicDirectory: configuration.publicDirectory), logger: logger)
    }

    /// The catalog served now.
    public var catalog: Catalog { mcp.catalog }

    /// Changes the served catalog while the server runs: calls that already started keep their tool; later
    /// calls and task attempts see the new one.
    public func updateCatalog(_ body: (inout Catalog) -> Void) { mcp.liveCatalog.update(body) }

    /// Routes the request and counts the response's status for `/metrics`.
    public func reply(to request: HTTPRequest) -> HTTPReply {
        let metrics = rest.metrics
        switch route(request) {
        case .immediate(let response):
            metrics.countResponse(status: response.status)
            return .immediate(response)
        case .deferred(let body):
            return .deferred {
                let response = await body()
                metrics.countResponse(status: response.status)
                return response
            }
        }
    }

    private func route(_ request: HTTPRequest) -> HTTPReply {
        let path = request.path
        switch path {
        case "/healthz":
            return .immediate(.text(200, "ok\n"))
        case "/readyz":
            return rest.readiness()
        case "/metrics":
            if !metricsOpen, case .failure(let refusal) = gate.authenticate(request) {
                return .immediate(refusal.problem.response)
            }
            return rest.metricsReply()
        case "/mcp":
            if let refusal = requestGuard.check(request) { return .immediate(refusal) }
            switch gate.authenticate(request) {
            case .success(let caller): return endpoint.reply(to: request, caller: caller)
            case .failure(let refusal): return .immediate(refusal.mcpResponse)
            }
        default:
            if path.hasPrefix("/api/") || path == "/api" {
                if let refusal = requestGuard.check(request) {
                    return .immediate(Problem(403, RESTAPI.text(of: refusal)).response)
                }
                // Open routes: whether a token is needed, and the API description (linked from the dashboard).
                if path == "/api/auth" { return .immediate(rest.authStatus(request, gate: gate)) }
                if path == "/api/openapi.yaml" {
                    let client = Caller.clientName(request.remoteAddress)
                    return rest.reply(
                        to: request, caller: .anonymous(client: client, limits: configuration.defaultLimits))
                }
                // EventSource cannot send headers: event streams (the feed, a task's log) may carry ?access_token=.
                let eventStream =
                    request.method == "GET"
                    && (path == "/api/events" || (path.hasPrefix("/api/tasks/") && path.hasSuffix("/log")))
                switch gate.authenticate(request, allowQueryToken: eventStream) {
                case .success(let caller): return rest.reply(to: request, caller: caller)
                case .failure(let refusal): return .immediate(refusal.problem.response)
                }
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
        rest.setReady(true)
        let interval = configuration.sessionSweepInterval
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self else { return }
                let expired = self.mcp.expireIdleSessions()
                if expired > 0 { self.logger.info("expired idle sessions", metadata: ["count": "\(expired)"]) }
            }
        }
        sweeper.withLock { $0 = task }
        if let authenticator = gate.authenticator {
            let interval = configuration.authReloadInterval
            let poller = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    authenticator.reloadIfChanged()
                }
            }
            authPoller.withLock { $0 = poller }
        }
    }

    /// Reloads the tokens file now (e.g. on SIGHUP); a broken file keeps the previous principals. Returns
    /// whether new principals are in force (`false` too when authentication is off).
    @discardableResult
    public func reloadAuthentication() -> Bool { gate.authenticator?.reload() ?? false }

    /// Whether requests must carry a bearer token.
    public var requiresAuthentication: Bool { gate.isRequired }

    /// Reports not-ready, ends sessions, stops the sweeper and the metrics subscription, then the engine.
    public func shutdown() async {
        rest.setReady(false)
        sweeper.withLock { $0 }?.cancel()
        authPoller.withLock { $0 }?.cancel()
        rest.metrics.stop()
        rest.seriesRecorder.stop()
        mcp.shutdown()
        await engine.shutdown()
    }
}
