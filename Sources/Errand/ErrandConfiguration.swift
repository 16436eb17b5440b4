public import ErrandEngine
public import ErrandHTTP

/// Everything `errand serve` can be told, with documented defaults.
public struct ErrandConfiguration: Sendable {
    public var http = HTTPServerConfiguration()
    public var engine = TaskEngineConfiguration()
    public var mcp = MCPConfiguration()
    /// Directory of the dashboard's static files; `nil` serves none. Default `Public`.
    public var publicDirectory: String? = "Public"
    /// Origins allowed besides same-origin and loopback (e.g. `https://dash.example.com`).
    public var allowedOrigins: Set<String> = []
    /// Slow-subscriber policy for every event stream.
    public var streamLimits = SSEStream.Limits()
    /// How often idle MCP sessions are swept. Default 60 s.
    public var sessionSweepInterval: Duration = .seconds(60)
    /// Time in-flight requests get to finish at shutdown. Default 5 s.
    public var shutdownGracePeriod: Duration = .seconds(5)
    /// Checks bearer tokens on `/mcp` and `/api/*` (`errand serve --auth-file`); `nil` runs without
    /// authentication: every caller is anonymous and a task is open to whoever knows its id. Default `nil`.
    public var authenticator: Authenticator?
    /// Limits of principals that set none in the tokens file and, without authentication, of each MCP session
    /// and each REST client address. Default ``PrincipalLimits/standard``.
    public var defaultLimits = PrincipalLimits.standard
    /// How often the tokens file is checked for changes. Default 2 s.
    public var authReloadInterval: Duration = .seconds(2)
    public init() {}
}
