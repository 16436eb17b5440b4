import ErrandProtocol
import Logging

extension ClusterEngine {
    /// Creates a task in the shared store and returns at once, before any work is done.
    ///
    /// The task is stored `queued` and announced to the other nodes; if this node has a free worker slot it claims
    /// right away (the task may then come back `working`), else a node with a free slot claims it. The requested
    /// ttl is clamped to `minTTLMs...maxTTLMs` (`nil` → `defaultTTLMs`). ``TaskSubmission/limits`` are ignored.
    /// - Throws: `.quotaExceeded` when the owner already has `maxActiveTasksPerOwner` non-terminal tasks in the
    ///   cluster (a soft limit: submissions on two nodes at the same moment may both pass), `.shuttingDown` after
    ///   ``shutdown()``, `.storage` if the store failed.
    public func submit(_ submission: TaskSubmission) async throws(TaskEngineError) -> TaskRecord {
        guard lifecycle != .shuttingDown else {
            throw TaskEngineError(.shuttingDown, "The server is shutting down and accepts no new tasks")
        }
        let limits = configuration.engine
        let ownerActive: Int
        do {
            ownerActive = try await store.activeCount(ownerKey: submission.owner.quotaKey)
        } catch {
            throw .storage("count the owner's tasks", error)
        }
        guard ownerActive < limits.maxActiveTasksPerOwner else {
            throw TaskEngineError(
                .quotaExceeded(retryAfterSeconds: max(1, Int(limits.defaultPollIntervalMs / 1000))),
                "Too many active tasks: this owner already has \(ownerActive) tasks running or queued, the limit"
                    + " (maxActiveTasksPerOwner) is \(limits.maxActiveTasksPerOwner); wait for one to finish")
        }
        let now = clock.nowMs()
        let message = Self.queuedMessage
        let ttl = min(max(submission.requestedTTLMs ?? limits.defaultTTLMs, limits.minTTLMs), limits.maxTTLMs)
        let record = TaskRecord(
            id: TaskID.random(), owner: submission.owner, kind: submission.kind, target: submission.target,
            arguments: submission.arguments, status: .queued, statusMessage: message, createdAt: now,
            lastUpdatedAt: now, ttlMs: ttl, pollIntervalMs: submission.pollIntervalMs ?? limits.defaultPollIntervalMs,
            attempt: 0, priority: submission.priority,
            history: [TaskHistoryEntry(at: now, status: .queued, message: message, attempt: 0)],
            requestMeta: submission.requestMeta, parent: submission.parent)
        do {
            try await store.insert(record, origin: node)
        } catch {
            logger.error("could not store a new task", metadata: ["error": "\(error)"])
            throw .storage("create the task", error)
        }
        publish(.created, record)
        if freeSlots > 0 { await claimRunnable() }
        return attempts[record.id]?.record ?? record
    }

    /// The status message of a task waiting to be claimed.
    static let queuedMessage = "queued: waiting for a worker"
}
