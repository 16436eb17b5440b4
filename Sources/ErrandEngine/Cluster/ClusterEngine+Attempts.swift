import ErrandProtocol
import Logging

/// Claiming and running attempts: launch, progress, completion, retries and policy timeouts, every write fenced.
extension ClusterEngine {
    /// Claims runnable tasks up to this node's free worker slots and starts them.
    ///
    /// The node calls this itself whenever work may be waiting: after a local submit, when a slot frees up, on a
    /// ``ClusterSignal/wake``, when a retry backoff it set ends, and every ``ClusterEngineConfiguration/pollInterval``.
    /// One claim is in flight at a time; a call during a claim makes the loop claim once more afterwards. Does
    /// nothing unless the engine is started, or on a serve-only node.
    ///
    /// A freed slot claims only while work may wait (``slotFreed()``): a call here says it may, and a claim that
    /// left no queued task in the store says it does not, until the next call.
    public func claimRunnable() async {
        workMayWait = true
        guard lifecycle == .started, workerSlots > 0 else { return }
        guard !claiming else {
            claimAgain = true
            return
        }
        claiming = true
        repeat {
            claimAgain = false
            let free = freeSlots
            guard free > 0 else { break }
            let claimed: ClaimBatch
            workMayWait = false  // a call while the claim is in flight sets it again
            do {
                claimed = try await store.claimBatch(
                    node: node, limit: free, nowMs: clock.nowMs(), leaseMs: configuration.leaseMs)
            } catch {
                workMayWait = true
                logger.error("could not claim work", metadata: ["error": "\(error)"])
                storeFailed()
                break
            }
            storeAnswered()
            if claimed.queuedRemain { workMayWait = true }
            for task in claimed.tasks { launch(task) }
        } while claimAgain && lifecycle == .started
        claiming = false
        let waiting = claimEndWaiters
        claimEndWaiters = []
        for waiter in waiting { waiter.resume() }
    }

    /// A worker slot was freed: claims if work may wait (queued tasks remained after the last claim, or a wake, a
    /// submission queued here, a takeover, a retry timer or the poll said so since). With nothing queued in the
    /// cluster a freed slot costs no claim.
    func slotFreed() async {
        if workMayWait { await claimRunnable() }
    }

    /// Starts one claimed attempt in a new task off the actor and arms its policy timeout.
    func launch(_ claimed: ClaimedTask) {
        let record = claimed.record
        let id = record.id
        let policy = runner.policy(for: record)
        let serial = makeSerial()
        attempts[id] = ClusterAttempt(lease: claimed.lease, record: record, policy: policy, serial: serial)
        if let timeout = policy.timeout { schedule(.timeout(id, serial: serial), after: timeout) }
        let runner = self.runner
        attempts[id]?.task = Task.detached { [self] in
            let context = TaskContext(
                taskID: id, attempt: record.attempt, node: node,
                reportProgress: { [self] progress in await self.reportProgress(id, serial: serial, progress) },
                requestInput: { [self] request in try await self.requestInput(id, serial: serial, request) },
                log: { [self] level, text in await self.appendLog(id, serial: serial, level: level, text: text) })
            let result = await runner.run(record, context: context)
            await self.attemptFinished(id, serial: serial, result: result)
        }
        publish(.status, record)
    }

    /// The attempt `serial` of `id` if it is still in `phase`.
    func attempt(_ id: TaskID, serial: UInt64, in phase: ClusterAttempt.Phase) -> ClusterAttempt? {
        guard let attempt = attempts[id], attempt.serial == serial, attempt.phase == phase else { return nil }
        return attempt
    }

    /// Stores `record` under the attempt's lease and publishes `publishing` — unless the attempt left `phase` while
    /// the write was in flight (stopped by a cancellation, or timed out: a newer state was or will be published). A refused write
    /// means the lease was lost: the attempt is stopped. Returns whether the store accepted the write.
    @discardableResult
    func writeAttempt(
        _ id: TaskID, serial: UInt64, in phase: ClusterAttempt.Phase, _ record: TaskRecord, change: ClusterChange,
        publishing: [TaskEvent.Change], runAfterMs: Int64? = nil
    ) async -> AttemptWrite {
        guard let attempt = attempt(id, serial: serial, in: phase) else { return .skipped }
        let stored: Bool
        do {
            stored = try await store.write(record, lease: attempt.lease, change: change, runAfterMs: runAfterMs)
        } catch {
            logger.error(
                "could not store a change of a running task", metadata: ["task": "\(id)", "error": "\(error)"])
            return .failed
        }
        guard stored else {
            logger.notice("lease lost; the attempt's write was refused and its work stops", metadata: ["task": "\(id)"])
            if self.attempt(id, serial: serial, in: phase) != nil { stopAttempt(id) }
            return .refused
        }
        // The entry may be gone already: a timed-out attempt's Swift task returned while its failure was stored.
        let superseded = attempts[id].map { $0.serial == serial && $0.phase != phase } ?? false
        if !superseded {
            for change in publishing { publish(change, record) }
        }
        return .stored
    }

    /// Stores an attempt's final record, retrying while the store fails (the lease is still renewed meanwhile),
    /// with a backoff from 100 ms to 5 s, until it is stored, refused (the lease was lost), or the node shuts down.
    /// A final write is the one that must not be lost: without retries a store hiccup would leave the task
    /// `working` until its lease lapsed and another node ran it again.
    func writeFinal(_ id: TaskID, serial: UInt64, _ record: TaskRecord, runAfterMs: Int64?) async {
        if attempts[id]?.serial == serial { attempts[id]?.writingFinal = true }
        defer {
            if attempts[id]?.serial == serial { attempts[id]?.writingFinal = false }
            releaseIfDone(id, serial: serial)
        }
        var delay = Duration.milliseconds(100)
        while await writeAttempt(
            id, serial: serial, in: .finishing, record, change: .status, publishing: [.status], runAfterMs: runAfterMs)
            == .failed, lifecycle != .shuttingDown
        {
            logger.notice("retrying the final write of a task", metadata: ["task": "\(id)", "in": "\(delay)"])
            try? await timer.clock.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// Stops an attempt that is still running: nothing more is written for it, its Swift task is cancelled and its
    /// input requests fail. Its slot is freed when the Swift task returns.
    func stopAttempt(_ id: TaskID) {
        guard let attempt = attempts[id], attempt.phase == .running else { return }
        attempts[id]?.phase = .stopped
        attempt.task?.cancel()
        failInputs(id)
    }

    /// Appends a line to a running attempt's log and publishes it; it is stored with the attempt's next write, at
    /// most ``TaskEngineConfiguration/logStoreDelay`` later (other nodes publish it once they read it).
    func appendLog(_ id: TaskID, serial: UInt64, level: TaskLogLevel, text: String) {
        guard var record = attempt(id, serial: serial, in: .running)?.record else { return }
        attempts[id]?.record.log = TaskLog()  // the attempt's copy goes, so the append below copies nothing
        let line = record.log.append(text, level: level, at: clock.nowMs(), limits: configuration.engine.logLimits)
        attempts[id]?.record = record
        record.log = record.log.withoutLines
        publish(.log([line]), record)
        if attempts[id]?.logUnstored == false {
            attempts[id]?.logUnstored = true
            schedule(.storeLog(id, serial: serial), after: configuration.engine.logStoreDelay)
        }
    }

    /// Writes a running attempt whose log changed since its last write (as a progress change: other nodes read it).
    func storeLog(_ id: TaskID, serial: UInt64) async {
        guard let attempt = attempt(id, serial: serial, in: .running), attempt.logUnstored else { return }
        attempts[id]?.logUnstored = false
        await writeAttempt(id, serial: serial, in: .running, attempt.record, change: .progress, publishing: [])
    }

    /// Records progress of a running attempt; the message also becomes the status message.
    func reportProgress(_ id: TaskID, serial: UInt64, _ progress: TaskProgress) async {
        guard var record = attempt(id, serial: serial, in: .running)?.record else { return }
        record.progress = progress
        if let message = progress.message { record.statusMessage = message }
        attempts[id]?.record = record
        await writeAttempt(id, serial: serial, in: .running, record, change: .progress, publishing: [.progress])
    }

    /// An attempt returned: store its result, or queue the task for a retry after a backoff. A stopped attempt's
    /// result is discarded; during shutdown only a completed result is stored. Then the slot is freed.
    func attemptFinished(_ id: TaskID, serial: UInt64, result: TaskRunResult) async {
        if let attempt = attempt(id, serial: serial, in: .running),
            lifecycle != .shuttingDown || result.status == .completed
        {
            attempts[id]?.phase = .finishing
            failInputs(id)
            let (record, runAfterMs) = finalRecord(attempt, result: result)
            await writeFinal(id, serial: serial, record, runAfterMs: runAfterMs)
            if record.status == .queued, let runAfterMs {
                let delay = Duration.milliseconds(max(0, runAfterMs - clock.nowMs()) + 10)
                schedule(.wake, after: delay)
            }
        }
        if attempts[id]?.serial == serial { attempts[id]?.returned = true }
        releaseIfDone(id, serial: serial)
        await slotFreed()
    }

    /// Frees the attempt's slot once its Swift task returned and no final write of it is in flight.
    private func releaseIfDone(_ id: TaskID, serial: UInt64) {
        guard let attempt = attempts[id], attempt.serial == serial, attempt.returned, !attempt.writingFinal else {
            return
        }
        attempts[id] = nil
    }

    /// The record an attempt's result leads to, and for a retry when the task is runnable again.
    private func finalRecord(_ attempt: ClusterAttempt, result: TaskRunResult) -> (TaskRecord, Int64?) {
        var record = attempt.record
        let now = clock.nowMs()
        let maxAttempts = attempt.policy.maxAttempts
        switch result.status {
        case .completed, .failed:
            if result.status == .failed, record.attempt < maxAttempts {
                let delay = attempt.policy.backoff(afterAttempt: record.attempt)
                let reason = result.statusMessage.map { ": \($0)" } ?? ""
                let message =
                    "attempt \(record.attempt) of \(maxAttempts) failed\(reason); retrying in \(TaskEngine.format(delay))"
                _ = record.apply(.queued, message: message, at: now)
                return (record, now + delay.milliseconds)
            }
            if record.apply(result.status, message: result.statusMessage, at: now) { record.outcome = result.outcome }
        default:
            let message = "The task runner ended an attempt with status '\(result.status.rawValue)'"
            logger.error("runner returned a non-final status", metadata: ["task": "\(record.id)"])
            if record.apply(.failed, message: message, at: now) { record.outcome = .error(.internalError(message)) }
        }
        return (record, nil)
    }

    /// The policy timeout of an attempt passed: cancel it and fail the task.
    func attemptTimedOut(_ id: TaskID, serial: UInt64) async {
        guard let attempt = attempt(id, serial: serial, in: .running) else { return }
        attempts[id]?.phase = .finishing
        attempt.task?.cancel()
        failInputs(id)
        var record = attempt.record
        let message = "timed out after \(TaskEngine.format(attempt.policy.timeout ?? .zero))"
        guard record.apply(.failed, message: message, at: clock.nowMs()) else { return }
        record.outcome = .error(.internalError("Task \(message)"))
        attempts[id]?.record = record
        await writeFinal(id, serial: serial, record, runAfterMs: nil)
        await slotFreed()  // the slot may be free now
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
