/// Engine limits and defaults.
public struct TaskEngineConfiguration: Sendable {
    /// This node's name, as tools see it (``TaskContext/node``). Default "local".
    public var nodeName = "local"
    /// Tasks running at once; the rest wait in a queue (priority, then round-robin across owners). Default 256.
    public var maxConcurrentTasks: Int = 256
    /// Limits of owners whose submissions bring none. Default: none beyond the engine-wide ones.
    public var defaultOwnerLimits = OwnerLimits()
    /// Tasks one principal (or, unauthenticated, one session) may have running or queued. Default 1,000.
    public var maxActiveTasksPerOwner: Int = 1000
    /// Tasks the whole engine may have running, queued or waiting for input, over all owners; a submission beyond
    /// it is refused with `.quotaExceeded` naming the limit. Recovered tasks count but are never refused.
    /// A ``ClusterEngine`` checks it against the shared store's counts (at most `countsMaxAge` old: soft).
    /// Default 100,000.
    public var maxActiveTasks: Int = 100_000
    /// Tasks the whole engine may have waiting for a worker; a submission that would wait beyond it is refused
    /// with `.quotaExceeded` naming the limit. A ``ClusterEngine`` checks it like ``maxActiveTasks``.
    /// Default 50,000.
    public var maxQueuedTasks: Int = 50_000
    /// Unfinished tasks ``TaskEngine/start()`` reads from the store at a time while it recovers. Default 1,000.
    public var recoveryPageSize: Int = 1000
    /// TTL when the client asks for none (ms). Default 1 hour.
    public var defaultTTLMs: Int64 = 3_600_000
    /// Smallest TTL granted (ms). Default 10 s.
    public var minTTLMs: Int64 = 10_000
    /// Largest TTL granted (ms). Default 7 days.
    public var maxTTLMs: Int64 = 7 * 86_400_000
    /// Poll interval advertised when the target sets none (ms). Default 500.
    public var defaultPollIntervalMs: Int64 = 500
    /// How often the reaper looks for expired tasks. Default 30 s.
    public var reapInterval: Duration = .seconds(30)
    /// Events kept for `Last-Event-ID` replay. Default 10,000.
    public var replayWindow: Int = 10_000
    /// How much of each task's log is kept. Default: the newest 1,000 lines, at most 64 KiB.
    public var logLimits: TaskLog.Limits = .default
    /// Longest a logged line waits before it is stored with its task (lines are published at once; a crash can
    /// lose the lines of this last interval). Default 1 s.
    public var logStoreDelay: Duration = .seconds(1)
    public init() {}
}

/// Milliseconds since the Unix epoch; injectable for tests.
public protocol EngineClock: Sendable {
    func nowMs() -> Int64
}

extension TaskEngineConfiguration {
    /// The `Retry-After` of a refusal for a limit: one poll interval, at least a second.
    var quotaRetryAfterSeconds: Int { max(1, Int(defaultPollIntervalMs / 1000)) }
}
