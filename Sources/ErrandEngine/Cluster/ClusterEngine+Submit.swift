import ErrandProtocol
import Logging

extension ClusterEngine {
    /// Creates a task in the shared store and returns at once, before any work is done.
    ///
    /// The task is stored `queued` and announced to the other nodes; if this node has a free worker slot it claims
    /// right away (the task may then come back `working`), else a node with a free slot claims it. The requested
    /// ttl is clamped to `minTTLMs...maxTTLMs` (`nil` → `defaultTTLMs`). ``TaskSubmission/limits`` are ignored.
    /// - Throws: `.quotaExceeded` when the owner already has `maxActiveTasksPerOwner` non-terminal tasks in the
    ///   cluster (checked by the store as it inserts; a soft limit: submissions on two nodes at the same moment may
    ///   both pass), or the cluster already
    ///   has `maxActiveTasks` non-terminal or `maxQueuedTasks` queued tasks (counted from the store at most
    ///   `countsMaxAge` ago, plus this node's submissions since: soft across nodes), `.shuttingDown` after
    ///   ``shutdown()``, `.storage` if the store failed.
    public func submit(_ submission: TaskSubmission) async throws(TaskEngineError) -> TaskRecord {
        guard lifecycle != .shuttingDown else {
            throw TaskEngineError(.shuttingDown, "The server is shutting down and accepts no new tasks")
        }
        let limits = configuration.engine
        try await checkClusterLimits()
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
        let outcome: ClusterInsertOutcome
        do {
            outcome = try await store.insert(record, origin: node, ownerLimit: limits.maxActiveTasksPerOwner)
        } catch {
            storeFailed()
            logger.error("could not store a new task", metadata: ["error": "\(error)"])
            throw .storage("create the task", error)
        }
        storeAnswered()
        if case .ownerAtLimit(let active) = outcome {
            throw TaskEngineError(
                .quotaExceeded(retryAfterSeconds: max(1, Int(limits.defaultPollIntervalMs / 1000))),
                "Too many active tasks: this owner already has \(active) tasks running or queued, the limit"
                    + " (maxActiveTasksPerOwner) is \(limits.maxActiveTasksPerOwner); wait for one to finish")
        }
        // Counted until the next read of the store's counts, so that a burst on this node meets the caps.
        cachedCounts?.counts[.queued, default: 0] += 1
        publish(.created, record)
        if freeSlots > 0 { await claimRunnable() }
        return attempts[record.id]?.record ?? record
    }

    /// Refuses a task beyond the cluster-wide caps, `maxActiveTasks` and `maxQueuedTasks` (every new task
    /// is stored queued), from the counts ``statistics()`` keeps.
    private func checkClusterLimits() async throws(TaskEngineError) {
        let limits = configuration.engine
        let counts = await statistics().byStatus
        let queued = counts[.queued] ?? 0
        let active = queued + (counts[.working] ?? 0) + (counts[.inputRequired] ?? 0)
        let retry = TaskEngineError.Code.quotaExceeded(
            retryAfterSeconds: max(1, Int(limits.defaultPollIntervalMs / 1000)))
        guard active < limits.maxActiveTasks else {
            throw TaskEngineError(
                retry,
                "Server task limit reached: \(active) tasks are running or queued in the cluster, the limit"
                    + " (maxActiveTasks) is \(limits.maxActiveTasks); wait for tasks to finish")
        }
        guard queued < limits.maxQueuedTasks else {
            throw TaskEngineError(
                retry,
                "Server queue full: \(queued) tasks are waiting for a worker in the cluster, the limit"
                    + " (maxQueuedTasks) is \(limits.maxQueuedTasks); wait for tasks to start")
        }
    }

    /// The status message of a task waiting to be claimed.
    static let queuedMessage = "queued: waiting for a worker"
}
