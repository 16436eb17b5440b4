import ErrandProtocol
import Logging

extension TaskEngine {
    /// Creates a task and schedules it; returns at once, before any work is done.
    ///
    /// The new task is `working` when a worker slot is free and its owner is below its `concurrentTasks` limit
    /// (its attempt has started by the time this returns), else `queued` with a status message saying about how
    /// many tasks are ahead. The requested ttl is clamped to `minTTLMs...maxTTLMs` (`nil` → `defaultTTLMs`); the
    /// record carries the effective value. While ``start()`` recovers tasks, this waits for it to finish.
    /// - Throws: `.quotaExceeded` when the owner already has `maxActiveTasksPerOwner` non-terminal tasks, or the
    ///   task would have to wait while the owner already has `queuedTasks` tasks waiting, or the engine already
    ///   has `maxActiveTasks` non-terminal tasks, or the task would have to wait while `maxQueuedTasks` tasks
    ///   wait already; `.shuttingDown` after
    ///   ``shutdown()``, `.storage` if the store refused the task.
    public func submit(_ submission: TaskSubmission) async throws(TaskEngineError) -> TaskRecord {
        await untilStarted()
        guard !isStopping else {
            throw TaskEngineError(.shuttingDown, "The server is shutting down and accepts no new tasks")
        }
        submissionsInFlight += 1
        defer { submissionEnded() }
        let quotaKey = submission.owner.quotaKey
        let limits = submission.limits ?? configuration.defaultOwnerLimits
        if ownerLimits[quotaKey] != limits {
            ownerLimits[quotaKey] = limits
            applyLimits(of: quotaKey)
            await startQueued()  // a raised limit may let waiting tasks of this owner start
        }
        let ownerActive = activePerOwner[quotaKey] ?? 0
        guard ownerActive < configuration.maxActiveTasksPerOwner else {
            throw .ownerActiveLimit(
                active: ownerActive, limit: configuration.maxActiveTasksPerOwner,
                retryAfterSeconds: quotaRetryAfterSeconds)
        }

        let ownerRunning = runningPerOwner[quotaKey] ?? 0
        let ownerMayRun = limits.concurrentTasks.map { ownerRunning < $0 } ?? true
        let startsNow = running < configuration.maxConcurrentTasks && ownerMayRun && runQueue.runnableCount == 0
        if !startsNow { try checkQueueLimit(limits, owner: quotaKey, running: ownerRunning, mayRun: ownerMayRun) }
        try checkEngineLimits(startsNow: startsNow)

        let now = clock.nowMs()
        let status: TaskStatus = startsNow ? .working : .queued
        let attempt = startsNow ? 1 : 0
        let message: String? =
            startsNow
            ? nil : Self.queuedMessage(ahead: runQueue.ahead(of: submission.priority, owner: quotaKey))
        var record = TaskRecord(
            id: TaskID.random(), owner: submission.owner, kind: submission.kind, target: submission.target,
            arguments: submission.arguments, status: status, statusMessage: message, createdAt: now,
            lastUpdatedAt: now, ttlMs: effectiveTTL(submission.requestedTTLMs),
            pollIntervalMs: submission.pollIntervalMs ?? configuration.defaultPollIntervalMs, attempt: attempt,
            priority: submission.priority,
            history: [TaskHistoryEntry(at: now, status: status, message: message, attempt: attempt)],
            requestMeta: submission.requestMeta, parent: submission.parent)
        record.history.reserveCapacity(startsNow ? 2 : 3)
        let policy = runner.policy(for: record)

        // Reserve the slot and the quota while the store works, so that concurrent submissions count this one.
        activePerOwner[quotaKey, default: 0] += 1
        activeTotal += 1
        if startsNow {
            takeSlot(quotaKey)
        } else {
            pendingQueued[quotaKey, default: 0] += 1
            pendingQueuedTotal += 1
        }
        // Once inserted the task can be found (a list, a guessed id) before it is in `active`: a cancel arriving
        // then waits until this submission has registered it, instead of cancelling it behind the attempt's back.
        cancellingUnmanaged[record.id] = []
        defer { for waiter in cancellingUnmanaged.removeValue(forKey: record.id) ?? [] { waiter.resume() } }
        do {
            defer { if !startsNow { releasePendingQueued(quotaKey) } }
            try await store.insert(record)
        } catch {
            releaseQuota(submission.owner)
            if startsNow {
                releaseSlot(quotaKey)
                await startQueued()
            }
            logger.error("could not store a new task", metadata: ["error": "\(error)"])
            throw .storage("create the task", error)
        }
        countsByStatus[status, default: 0] += 1
        if isStopping {
            // Shutdown began while the store worked: leave the task stored for recovery at the next start. One
            // stored as `working` never ran: store it as queued (attempt 0), so that recovery runs it rather than
            // count an interrupted attempt. shutdown() waits for this write.
            releaseQuota(submission.owner)
            guard startsNow else { return record }
            releaseSlot(quotaKey)
            let message = "queued: the server stopped before the task started"
            record.status = .queued
            record.statusMessage = message
            record.attempt = 0
            record.history = [TaskHistoryEntry(at: now, status: .queued, message: message, attempt: 0)]
            do {
                try await store.update(record)
                countsByStatus[.working, default: 0] -= 1
                countsByStatus[.queued, default: 0] += 1
            } catch {
                logger.error(
                    "could not mark a task submitted during shutdown as queued",
                    metadata: ["task": "\(record.id)", "error": "\(error)"])
            }
            return record
        }

        if startsNow {
            let serial = makeSerial()
            let task = launch(record, serial: serial, policy: policy)
            active[record.id] = ActiveTask(record: record, policy: policy, phase: .running(serial: serial, task: task))
            events.publish(.created, task: record)
        } else {
            let ticket = makeSerial()
            active[record.id] = ActiveTask(record: record, policy: policy, phase: .queued(ticket: ticket))
            runQueue.push(record.id, ticket: ticket, priority: record.priority, owner: quotaKey)
            events.publish(.created, task: record)
            await startQueued()
        }
        return record
    }

    private func releasePendingQueued(_ owner: String) {
        let remaining = (pendingQueued[owner] ?? 1) - 1
        pendingQueued[owner] = remaining > 0 ? remaining : nil
        pendingQueuedTotal = max(0, pendingQueuedTotal - 1)
    }

    /// Refuses a task beyond the engine-wide caps, `maxActiveTasks` and (for one that would wait)
    /// `maxQueuedTasks`, over all owners.
    private func checkEngineLimits(startsNow: Bool) throws(TaskEngineError) {
        let retry = TaskEngineError.Code.quotaExceeded(retryAfterSeconds: quotaRetryAfterSeconds)
        guard activeTotal < configuration.maxActiveTasks else {
            throw TaskEngineError(
                retry,
                "Server task limit reached: \(activeTotal) tasks are running or queued on this server, the limit"
                    + " (maxActiveTasks) is \(configuration.maxActiveTasks); wait for tasks to finish")
        }
        guard !startsNow else { return }
        let waiting = runQueue.count + pendingQueuedTotal
        guard waiting < configuration.maxQueuedTasks else {
            throw TaskEngineError(
                retry,
                "Server queue full: \(waiting) tasks are waiting for a worker on this server, the limit"
                    + " (maxQueuedTasks) is \(configuration.maxQueuedTasks); wait for tasks to start")
        }
    }

    /// A submission returned: wake ``shutdown()`` once none is in flight.
    private func submissionEnded() {
        submissionsInFlight -= 1
        guard submissionsInFlight == 0 else { return }
        let waiters = submissionsDrained
        submissionsDrained = []
        for waiter in waiters { waiter.resume() }
    }

    /// Refuses a task that would have to wait while its owner already has `queuedTasks` tasks waiting.
    private func checkQueueLimit(_ limits: OwnerLimits, owner: String, running: Int, mayRun: Bool)
        throws(TaskEngineError)
    {
        guard let queueLimit = limits.queuedTasks else { return }
        let waiting = runQueue.count(of: owner) + (pendingQueued[owner] ?? 0)
        guard waiting >= queueLimit else { return }
        let retry = TaskEngineError.Code.quotaExceeded(retryAfterSeconds: quotaRetryAfterSeconds)
        if !mayRun, let cap = limits.concurrentTasks {
            throw TaskEngineError(
                retry,
                "Concurrent task limit reached: this owner already runs \(running) tasks, the limit (concurrentTasks)"
                    + " is \(cap), and \(waiting) more are waiting, the limit (queuedTasks) is \(queueLimit);"
                    + " wait for one to finish")
        }
        throw .ownerQueueLimit(waiting: waiting, limit: queueLimit, retryAfterSeconds: quotaRetryAfterSeconds)
    }

    /// The ttl a task gets when `requested` was asked for.
    func effectiveTTL(_ requested: Int64?) -> Int64 {
        let ttl = requested ?? configuration.defaultTTLMs
        return min(max(ttl, configuration.minTTLMs), configuration.maxTTLMs)
    }

    var quotaRetryAfterSeconds: Int { configuration.quotaRetryAfterSeconds }

    static func queuedMessage(ahead: Int) -> String {
        ahead == 1 ? "queued: 1 task ahead" : "queued: \(ahead) tasks ahead"
    }
}
