/// MCP-level settings, with documented defaults.
public struct MCPConfiguration: Sendable {
    /// `serverInfo.name`. Default "errand".
    public var serverName: String = "errand"
    /// `serverInfo.version`.
    public var serverVersion: String = ErrandVersion.current
    /// `instructions` in the initialize result, if any.
    public var instructions: String? =
        "Long-running tools run as tasks: call them with a `task` parameter and poll tasks/get or block on tasks/result."
    /// Protocol revisions accepted at `initialize`, newest first; an unknown request gets the first.
    public var supportedVersions: [String] = ["2025-11-25", "2025-06-18", "2025-03-26"]
    /// A session with no request and no open GET stream for this long is ended. Default 1 hour.
    public var sessionIdleTimeoutMs: Int64 = 3_600_000
    /// Live sessions at once; `initialize` beyond it is refused with 503. Default 10,000.
    public var maxSessions: Int = 10_000
    /// `tasks/list` page size. Default 50.
    public var taskListPageSize: Int = 50
    /// Task ids one 2026-07-28 `subscriptions/listen` may name; more are refused with -32602. Default 1,000.
    public var maxListenTaskIDs: Int = 1_000
    public init() {}
}

/// The version of this build.
public enum ErrandVersion {
    public static let current = "0.1.0"
}
