import ErrandProtocol
import Logging

extension TaskEngine {
    /// Recovers unfinished tasks from the store and starts the reaper. Call once; later calls do nothing.
    ///
    /// While it recovers, ``submit(_:)``, ``cancel(_:for:reason:)`` and ``shutdown()`` wait for it to finish, so
    /// that recovery works from a snapshot no one changes under it (a task submitted meanwhile would be counted
    /// twice or recovered a second time; a task cancelled meanwhile would be queued again).
    ///
    /// A task found `queued`, `working` or `input_required` was left by an engine that stopped. If its policy
    /// allows another attempt it is queued again (history: "server restarted"); otherwise it fails with
    /// "Server restarted while the task was running". Tasks are read in pages of `recoveryPageSize`, oldest first.
    /// - Throws: ``TaskEngineError`` `.storage` if the store could not be read (tasks of pages read before stay
    ///   recovered; a later call goes on without recovering them twice).
    public func start() async throws {
        guard lifecycle == .idle else { return }
        lifecycle = .starting
        defer {
            lifecycle = lifecycle == .starting ? .started : lifecycle
            let waiters = startWaiters
            startWaiters = []
            for waiter in waiters { waiter.resume() }
        }
        var recovered: [TaskID] = []
        do {
            countsByStatus = try await store.counts()
            let pageSize = max(1, configuration.recoveryPageSize)
            var position: TaskListPosition?
            while true {
                let page = try await store.unfinished(after: position, limit: pageSize)
                for record in page where active[record.id] == nil {
                    if await recover(record) { recovered.append(record.id) }
                }
                guard page.count == pageSize, let last = page.last else { break }
                position = TaskListPosition(last)
            }
        } catch {
            lifecycle = .idle  // waiting callers go on as before any start
            throw TaskEngineError.storage("recover unfinished tasks", error)
        }
        if !recovered.isEmpty {
            logger.info("recovered unfinished tasks", metadata: ["count": "\(recovered.count)"])
        }
        await startQueued()
        for id in recovered { await flushLogged(id) }
        schedule(.reap, after: configuration.reapInterval)
    }

    /// Queues `record` again or fails it. Returns whether it was queued.
    ///
    /// Either way the engine takes the task over first, so a failed write leaves it managed here: a task to fail
    /// is reported failed at once and its write retried (``flush(_:)``) until the store takes it, instead of
    /// staying `working` in the store with no engine behind it until the next start.
    private func recover(_ record: TaskRecord) async -> Bool {
        let policy = runner.policy(for: record)
        activePerOwner[record.owner.quotaKey, default: 0] += 1
        activeTotal += 1
        active[record.id] = ActiveTask(record: record, policy: policy, phase: .ended)
        if record.attempt < policy.maxAttempts {
            if record.status != .queued {
                transition(record.id, to: .queued, message: "server restarted; the task was queued again")
            }
            enqueue(record.id, priority: record.priority, owner: record.owner.quotaKey)
            return true
        }
        let message = "Server restarted while the task was running"
        guard transition(record.id, to: .failed, message: message, outcome: .error(.internalError(message))) else {
            active[record.id] = nil  // every unfinished status may fail; nothing to keep if that ever changes
            releaseQuota(record.owner)
            return false
        }
        do {
            try await flush(record.id)
        } catch {
            logger.error(
                "could not fail an unfinished task; will retry",
                metadata: ["task": "\(record.id)", "error": "\(error)"])
        }
        return false
    }

    /// Stops taking work (``submit(_:)`` throws `.shuttingDown`), cancels every attempt and waits until each has
    /// returned, releases waiters, and stops the timer and the reaper.
    ///
    /// "Every attempt" includes those of tasks that already ended (cancelled, timed out) while their work is still
    /// unwinding, and submissions still awaiting the store: when this returns, no attempt of this engine runs
    /// and no submission writes any more, so the store can be closed. Tasks
    /// that were running or queued stay in the store as they are; the next ``start()`` recovers them. A second
    /// call returns at once.
    public func shutdown() async {
        await untilStarted()  // recovery's own writes finish first
        guard !isStopping else { return }
        lifecycle = .shuttingDown
        timer.stop()
        timerDriver?.cancel()
        timerDriver = nil
        for attempt in attempts.values { attempt.cancel() }
        releaseAllWaiters()
        let cancelled = attempts.count
        while let (serial, attempt) = attempts.first {
            await attempt.value
            attempts[serial] = nil  // attemptFinished removed it already; never loop on one that did not
        }
        // A submission awaiting the store finishes its writes (see submit) before the store may close.
        while submissionsInFlight > 0 {
            await withCheckedContinuation { submissionsDrained.append($0) }
        }
        lifecycle = .stopped
        logger.info("task engine stopped", metadata: ["cancelledAttempts": "\(cancelled)"])
    }

    /// Deletes terminal tasks whose ttl has passed (never a non-terminal task or one somebody waits for) and
    /// publishes `.deleted` for each. The reaper calls this every `reapInterval`.
    /// - Returns: how many tasks were deleted.
    public func reapExpired() async -> Int {
        guard !reaping else { return 0 }
        reaping = true
        defer { reaping = false }
        let batchSize = 1000
        var total = 0
        while true {
            let expired: [TaskRecord]
            do {
                expired = try await store.expired(nowMs: clock.nowMs(), limit: batchSize)
            } catch {
                logger.error("could not look for expired tasks", metadata: ["error": "\(error)"])
                return total
            }
            let doomed = expired.filter { task in
                task.status.isTerminal && active[task.id] == nil && !hasWaiters(task.id) && !deleting.contains(task.id)
            }
            guard !doomed.isEmpty else { return total }
            for task in doomed { deleting.insert(task.id) }
            defer { for task in doomed { deleting.remove(task.id) } }
            do {
                try await store.delete(doomed.map(\.id))
            } catch {
                logger.error("could not delete expired tasks", metadata: ["error": "\(error)"])
                return total
            }
            for task in doomed {
                countsByStatus[task.status, default: 0] -= 1
                events.publish(.deleted, task: task)
            }
            total += doomed.count
            if expired.count < batchSize { return total }
        }
    }
}
