public import ErrandProtocol

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
