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

/// How one attempt of a task's work ended, as the runner reports it.
public struct TaskRunResult: Sendable, Hashable {
    public var outcome: TaskOutcome
    /// `.completed` or `.failed`.
    public var status: TaskStatus
    public var statusMessage: String?
    public init(outcome: TaskOutcome, status: TaskStatus, statusMessage: String? = nil) {
        self.outcome = outcome
        self.status = status
        self.statusMessage = statusMessage
    }
}

/// Per-target execution policy: timeout and retries.
public struct TaskPolicy: Sendable, Hashable {
    /// Longest one attempt may run; then it is cancelled and the task fails ("timed out after ..."). `nil` = none.
    public var timeout: Duration?
    /// Attempts allowed in all (1 = no retry).
    public var maxAttempts: Int
    /// Delay before attempt n+1 is `min(maxBackoff, baseBackoff * 2^(n-1))`, with up to 20 % jitter.
    public var baseBackoff: Duration
    public var maxBackoff: Duration
    public init(
        timeout: Duration? = nil, maxAttempts: Int = 1, baseBackoff: Duration = .seconds(1),
        maxBackoff: Duration = .seconds(60)
    ) {
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.baseBackoff = baseBackoff
        self.maxBackoff = maxBackoff
    }
    public static let `default` = TaskPolicy()
}

/// Does the work of tasks. The application supplies it (Errand maps tool names to tool handlers).
public protocol TaskRunner: Sendable {
    /// Runs one attempt of `task`. Must return promptly once Swift task cancellation is signalled.
    func run(_ task: TaskRecord, context: TaskContext) async -> TaskRunResult
    /// The policy for `task`'s target.
    func policy(for task: TaskRecord) -> TaskPolicy
}

/// What a running task's handler can tell the engine.
public struct TaskContext: Sendable {
    public let taskID: TaskID
    public let attempt: Int
    /// The node or worker running this attempt (`nil` for a plain, inline call).
    public let node: String?
    let reportProgressBody: @Sendable (TaskProgress) async -> Void
    let requestInputBody: @Sendable (JSONValue) async throws -> JSONValue
    let logBody: @Sendable (TaskLogLevel, String) async -> Void

    public init(
        taskID: TaskID, attempt: Int, node: String? = nil,
        reportProgress: @escaping @Sendable (TaskProgress) async -> Void,
        requestInput: @escaping @Sendable (JSONValue) async throws -> JSONValue,
        log: @escaping @Sendable (TaskLogLevel, String) async -> Void = { _, _ in }
    ) {
        self.taskID = taskID
        self.attempt = attempt
        self.node = node
        self.reportProgressBody = reportProgress
        self.requestInputBody = requestInput
        self.logBody = log
    }

    /// Records progress; the message also becomes the task's status message.
    public func reportProgress(_ progress: TaskProgress) async { await reportProgressBody(progress) }

    /// Moves the task to `input_required`, publishes ``TaskEvent/inputRequested`` carrying `request`, and
    /// waits for ``TaskEngine/provideInput(taskID:requestID:response:)``; the task then returns to `working`.
    public func requestInput(_ request: JSONValue) async throws -> JSONValue { try await requestInputBody(request) }

    /// Appends a line to the task's log (kept with the task, bounded by ``TaskLog/Limits``) and publishes it.
    public func log(_ level: TaskLogLevel, _ text: String) async { await logBody(level, text) }
}

/// One change the engine published. `sequence` increases by one per event, engine-wide.
public struct TaskEvent: Sendable, Hashable {
    public enum Change: Sendable, Hashable {
        case created
        case status
        case progress
        /// The task needs input; `requestID` names the request for ``TaskEngine/provideInput(taskID:requestID:response:)``.
        case inputRequested(requestID: String, request: JSONValue)
        /// The task's work logged these lines (in order; published at once, stored with the next write).
        case log([TaskLogLine])
        case deleted
    }
    public var sequence: UInt64
    public var change: Change
    /// The task as it is after the change.
    public var task: TaskRecord
    public init(sequence: UInt64, change: Change, task: TaskRecord) {
        self.sequence = sequence
        self.change = change
        self.task = task
    }
}

/// Which tasks a list covers.
public enum TaskListScope: Sendable, Hashable {
    /// Tasks created in one session (MCP `tasks/list` without authentication).
    case session(String)
    /// Every task the requester may access (its principal's and its team's; all tasks when unauthenticated).
    case visible
}

public struct TaskListQuery: Sendable, Hashable {
    public var scope: TaskListScope
    public var statuses: Set<TaskStatus>?
    public var target: String?
    public var createdAfter: Int64?
    public var createdBefore: Int64?
    /// An opaque cursor from a previous page's `nextCursor`.
    public var cursor: String?
    /// Page size; clamped to 1...1000. Default 100.
    public var limit: Int
    /// Only the tasks this task started, if set.
    public var parent: TaskID?
    /// Only the tasks of this principal (``TaskOwner/principal``), if set.
    public var principal: String?
    /// Only the tasks of this team (``TaskOwner/team``), if set.
    public var team: String?
    /// Oldest first instead of newest first (a cursor belongs to the order its page was listed in).
    public var oldestFirst = false
    public init(
        scope: TaskListScope, statuses: Set<TaskStatus>? = nil, target: String? = nil, createdAfter: Int64? = nil,
        createdBefore: Int64? = nil, cursor: String? = nil, limit: Int = 100
    ) {
        self.scope = scope
        self.statuses = statuses
        self.target = target
        self.createdAfter = createdAfter
        self.createdBefore = createdBefore
        self.cursor = cursor
        self.limit = limit
    }
}

/// A page of tasks, newest first.
public struct TaskPage: Sendable {
    public var tasks: [TaskRecord]
    public var nextCursor: String?
    public init(tasks: [TaskRecord], nextCursor: String?) {
        self.tasks = tasks
        self.nextCursor = nextCursor
    }
}

/// Why the engine refused an operation. The message says what to do about it.
public struct TaskEngineError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// Unknown, purged, or not visible to the requester (never distinguished, so existence does not leak).
        case notFound
        /// Cancel or input of a task that already ended.
        case alreadyTerminal(TaskStatus)
        /// Delete of a task that is still running.
        case notTerminal
        /// A per-owner or engine-wide limit was hit; retry after the given seconds.
        case quotaExceeded(retryAfterSeconds: Int)
        case invalidCursor
        case shuttingDown
        case storage
    }
    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

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
