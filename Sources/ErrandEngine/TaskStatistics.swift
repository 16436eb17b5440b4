/// Counts for metrics and readiness, as the engine sees them.
public struct TaskStatistics: Sendable {
    /// Tasks per status, retained terminal ones included (statuses with none may be missing).
    public var byStatus: [TaskStatus: Int]
    /// Attempts executing now (including ones cancelled but not yet returned).
    public var running: Int
    /// Tasks waiting for a worker slot (not counting ones waiting out a retry backoff).
    public var queued: Int

    public init(byStatus: [TaskStatus: Int], running: Int, queued: Int) {
        self.byStatus = byStatus
        self.running = running
        self.queued = queued
    }
}
