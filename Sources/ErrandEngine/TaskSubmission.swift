public import ErrandProtocol

/// What a caller asks the engine to run.
public struct TaskSubmission: Sendable {
    public var kind: TaskKind
    public var target: String
    public var arguments: JSONValue
    public var owner: TaskOwner
    /// The ttl the client asked for (ms); clamped to the configured bounds. `nil` → default.
    public var requestedTTLMs: Int64?
    /// Poll interval to advertise (ms); `nil` → configured default.
    public var pollIntervalMs: Int64?
    public var priority: Int
    /// Opaque request metadata kept with the task for the runner (e.g. `_meta.progressToken`).
    public var requestMeta: JSONValue?
    /// The owner's own limits; `nil` → ``TaskEngineConfiguration/defaultOwnerLimits``. The latest submission's
    /// limits apply to all of the owner's tasks.
    public var limits: OwnerLimits?
    /// The task whose attempt submits this one (kept as ``TaskRecord/parent``).
    public var parent: TaskID?

    public init(
        kind: TaskKind, target: String, arguments: JSONValue, owner: TaskOwner, requestedTTLMs: Int64? = nil,
        pollIntervalMs: Int64? = nil, priority: Int = 0, requestMeta: JSONValue? = nil, limits: OwnerLimits? = nil,
        parent: TaskID? = nil
    ) {
        self.limits = limits
        self.parent = parent
        self.kind = kind
        self.target = target
        self.arguments = arguments
        self.owner = owner
        self.requestedTTLMs = requestedTTLMs
        self.pollIntervalMs = pollIntervalMs
        self.priority = priority
        self.requestMeta = requestMeta
    }
}

/// Limits on one owner's (one ``TaskOwner/quotaKey``'s) tasks, beside the engine-wide ones.
public struct OwnerLimits: Sendable, Hashable {
    /// Tasks of the owner running at once; its further tasks wait in the queue. `nil`: only the engine-wide
    /// `maxConcurrentTasks` applies.
    public var concurrentTasks: Int?
    /// Tasks of the owner waiting in the queue; a submission that would have to wait beyond it is refused with
    /// `.quotaExceeded`. `nil`: only `maxActiveTasksPerOwner` applies.
    public var queuedTasks: Int?

    public init(concurrentTasks: Int? = nil, queuedTasks: Int? = nil) {
        self.concurrentTasks = concurrentTasks
        self.queuedTasks = queuedTasks
    }
}
