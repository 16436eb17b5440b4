import ErrandProtocol
import Logging

extension ClusterEngine {
    /// Creates a task in the shared store and returns at once, before any work is done.
    ///
    /// The task is stored and announced to the other nodes. If this node has a free worker slot, the store starts
    /// it here in the same statement unless more runnable tasks are queued before it than this node has other free
    /// slots, or the owner's unfinished tasks reach its `concurrentTasks` (``ImmediateStart``); otherwise it is stored `queued` and this node claims right away if
    /// it has a free slot (the task may then come back `working`), else a node with a free slot claims it. The
    /// requested ttl is clamped to `minTTLMs...maxTTLMs` (`nil` → `defaultTTLMs`).
    ///
    /// The owner's limits (``TaskSubmission/limits``, else `defaultOwnerLimits`) are stored for the owner as with a
    /// ``TaskEngine``: the latest submission's apply to all of the owner's tasks, and every node's claims keep the
    /// owner within its `concurrentTasks` (see ``ClusterStore/claim(node:limit:nowMs:leaseMs:)``). A node writes
    /// an owner's limits when they differ from the ones it wrote last, so when two nodes take the same owner's
    /// submissions with different limits, the last written ones apply.
    /// - Throws: `.quotaExceeded` when the owner already has `maxActiveTasksPerOwner` non-terminal tasks in the
    ///   cluster (checked by the store as it inserts; a soft limit: submissions on two nodes at the same moment may
    ///   both pass), or already has `queuedTasks` tasks queued in the cluster (soft across nodes too; and unlike on
    ///   a ``TaskEngine``, `queuedTasks` counts every stored task as waiting, so 0 refuses every submission), or
    ///   the cluster already
    ///   has `maxActiveTasks` non-terminal or `maxQueuedTasks` queued tasks (counted from the store at most
    ///   `countsMaxAge` ago, plus this node's submissions since: soft across nodes), `.shuttingDown` after
    ///   ``shutdown()``, `.storage` if the store failed.
    public func submit(_ submission: TaskSubmission) async throws(TaskEngineError) -> TaskRecord {
        guard lifecycle != .shuttingDown else {
            throw TaskEngineError(.shuttingDown, "The server is shutting down and accepts no new tasks")
        }
        let limits = configuration.engine
        let clusterQueued = try await checkClusterLimits()
        let ownerLimits = submission.limits ?? limits.defaultOwnerLimits
        try await storeOwnerLimits(ownerLimits, ownerKey: submission.owner.quotaKey)
        try await checkQueueLimit(ownerLimits, ownerKey: submission.owner.quotaKey, clusterQueued: clusterQueued)
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
        // With a free slot, the store may start the task here at once (when this node has a slot for every
        // runnable task waiting before it as well, and the owner is clearly within its concurrentTasks): one
        // statement instead of an insert and then a claim.
        let start: ImmediateStart? =
            lifecycle == .started && freeSlots > 0
            ? ImmediateStart(
                node: node, nowMs: now, leaseMs: configuration.leaseMs, spareSlots: freeSlots - 1,
                ownerConcurrentTasks: ownerLimits.concurrentTasks) : nil
        if start != nil { heldSlots += 1 }
        let outcome: ClusterInsertOutcome
        do {
            outcome = try await store.insert(
                record, origin: node, ownerLimit: limits.maxActiveTasksPerOwner, start: start)
        } catch {
            if start != nil { heldSlots -= 1 }
            storeFailed()
            logger.error("could not store a new task", metadata: ["error": "\(error)"])
            throw .storage("create the task", error)
        }
        if start != nil { heldSlots -= 1 }
        storeAnswered()
        switch outcome {
        case .ownerAtLimit(let active):
            throw .ownerActiveLimit(
                active: active, limit: limits.maxActiveTasksPerOwner,
                retryAfterSeconds: limits.quotaRetryAfterSeconds)
        case .started(let claimed):
            cachedCounts?.counts[.working, default: 0] += 1
            publish(.created, record)
            guard lifecycle == .started else {
                // Shutting down: the attempt is not run here; its lease runs out and another node takes it over.
                logger.notice(
                    "a task started at submission while this node shut down; another node will take it over",
                    metadata: ["task": "\(record.id)"])
                return claimed.record
            }
            launch(claimed)
        case .inserted:
            // Counted until the next read of the store's counts, so that a burst on this node meets the caps.
            cachedCounts?.counts[.queued, default: 0] += 1
            publish(.created, record)
            workMayWait = true  // this node does not hear its own wake: a slot freed later claims it
            if freeSlots > 0 { await claimRunnable() }
        }
        return attempts[record.id]?.record ?? record
    }

    /// Writes the owner's limits unless this node wrote the same ones last (remembered for up to 10,000 owners).
    private func storeOwnerLimits(_ ownerLimits: OwnerLimits, ownerKey: String) async throws(TaskEngineError) {
        guard storedOwnerLimits[ownerKey] != ownerLimits else { return }
        do {
            try await store.setOwnerLimits(ownerLimits, ownerKey: ownerKey)
        } catch {
            storeFailed()
            throw .storage("store the owner's limits", error)
        }
        storeAnswered()
        if storedOwnerLimits.count >= 10_000 { storedOwnerLimits = [:] }
        storedOwnerLimits[ownerKey] = ownerLimits
    }

    /// Refuses a task while its owner already has `queuedTasks` tasks queued in the cluster. The owner's queued
    /// tasks are counted only when the whole cluster's (`clusterQueued`, from ``statistics()``) reach the limit:
    /// most submissions pay no extra read.
    private func checkQueueLimit(_ ownerLimits: OwnerLimits, ownerKey: String, clusterQueued: Int)
        async throws(TaskEngineError)
    {
        guard let queueLimit = ownerLimits.queuedTasks, clusterQueued >= queueLimit else { return }
        let waiting: Int
        do {
            waiting = try await store.queuedCount(ownerKey: ownerKey)
        } catch {
            storeFailed()
            throw .storage("count the owner's queued tasks", error)
        }
        storeAnswered()
        guard waiting >= queueLimit else { return }
        throw .ownerQueueLimit(
            waiting: waiting, limit: queueLimit, retryAfterSeconds: configuration.engine.quotaRetryAfterSeconds)
    }

    /// Refuses a task beyond the cluster-wide caps, `maxActiveTasks` and `maxQueuedTasks` (every new task
    /// is stored queued), from the counts ``statistics()`` keeps. Returns the cluster's queued tasks.
    private func checkClusterLimits() async throws(TaskEngineError) -> Int {
        let limits = configuration.engine
        let counts = await statistics().byStatus
        let queued = counts[.queued] ?? 0
        let active = queued + (counts[.working] ?? 0) + (counts[.inputRequired] ?? 0)
        let retry = TaskEngineError.Code.quotaExceeded(retryAfterSeconds: limits.quotaRetryAfterSeconds)
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
        return queued
    }

    /// The status message of a task waiting to be claimed.
    static let queuedMessage = "queued: waiting for a worker"
}
