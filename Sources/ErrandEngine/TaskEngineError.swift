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

extension TaskEngineError {
    /// The owner already has `active` tasks running or queued, at or over `maxActiveTasksPerOwner` (`limit`).
    static func ownerActiveLimit(active: Int, limit: Int, retryAfterSeconds: Int) -> TaskEngineError {
        TaskEngineError(
            .quotaExceeded(retryAfterSeconds: retryAfterSeconds),
            "Too many active tasks: this owner already has \(active) tasks running or queued, the limit"
                + " (maxActiveTasksPerOwner) is \(limit); wait for one to finish")
    }

    /// The owner already has `waiting` tasks waiting for a worker, at or over its `queuedTasks` (`limit`).
    static func ownerQueueLimit(waiting: Int, limit: Int, retryAfterSeconds: Int) -> TaskEngineError {
        TaskEngineError(
            .quotaExceeded(retryAfterSeconds: retryAfterSeconds),
            "Queued task limit reached: this owner already has \(waiting) tasks waiting for a worker, the limit"
                + " (queuedTasks) is \(limit); wait for one to start")
    }
}
