/// What one principal of the tokens file may do, and which limits its tasks run under.
public struct PrincipalLimits: Sendable, Hashable {
    /// Tasks running at once; more wait in the queue.
    public var concurrentTasks: Int
    /// Tasks waiting in the queue; a task that would wait beyond it is refused (MCP -32029, REST 429).
    public var queuedTasks: Int
    /// Task submissions per minute (a token bucket holding one minute's worth).
    public var submissionsPerMinute: Int

    public init(concurrentTasks: Int = 64, queuedTasks: Int = 1000, submissionsPerMinute: Int = 600) {
        self.concurrentTasks = concurrentTasks
        self.queuedTasks = queuedTasks
        self.submissionsPerMinute = submissionsPerMinute
    }

    /// The defaults: 64 running, 1,000 queued, 600 submissions a minute.
    public static let standard = PrincipalLimits()
}

/// A user or service that holds tokens.
public struct Principal: Sendable, Hashable {
    /// The name tasks are owned by.
    public var name: String
    /// Members of the same team see each other's tasks.
    public var team: String?
    /// The highest priority its calls may ask for; higher requests are clamped. Default 0.
    public var maxPriority: Int
    public var limits: PrincipalLimits

    public init(name: String, team: String? = nil, maxPriority: Int = 0, limits: PrincipalLimits = .standard) {
        self.name = name
        self.team = team
        self.maxPriority = maxPriority
        self.limits = limits
    }
}
