import ErrandProtocol
import Logging

/// Running attempts: launch, progress, completion, policy timeouts and retries.
extension TaskEngine {
    /// Starts one attempt of `record` in a new task off the engine's actor and arms its policy timeout.
    func launch(_ record: TaskRecord, serial: UInt64, policy: TaskPolicy) -> Task<Void, Never> {
        if let timeout = policy.timeout { schedule(.timeout(record.id, serial: serial), after: timeout) }
        let runner = self.runner
        let owner = record.owner.quotaKey
        let attempt = Task.detached { [self] in
            let id = record.id
            let context = TaskContext(
                taskID: id, attempt: record.attempt, node: configuration.nodeName,
                reportProgress: { [self] progress in await self.reportProgress(id, serial: serial, progress) },
                requestInput: { [self] request in try await self.requestInput(id, serial: serial, request) },
                log: { [self] level, text in await self.appendLog(id, serial: serial, level: level, text: text) })
            let result = await runner.run(record, context: context)
            await self.attemptFinished(id, serial: serial, owner: owner, result: result)
        }
        attempts[serial] = attempt  // attemptFinished, which removes it, runs on this actor after we return
        return attempt
    }

    /// Starts queued tasks while worker slots are free, then stores their `working` status.
    func startQueued() async {
        guard !isStopping else { return }
        var started: [TaskID] = []
        while running < configuration.maxConcurrentTasks {
            guard
                let next = runQueue.popFirst(isLive: { entry in
                    if case .queued(let ticket) = active[entry.id]?.phase { return ticket == entry.ticket }
                    return false
                })
            else { break }
            let id = next.id
            mutate(id) { $0.record.attempt += 1 }
            transition(id, to: .working, message: nil)
            guard let entry = active[id] else { continue }
            let serial = makeSerial()
            takeSlot(entry.record.owner.quotaKey)
            let task = launch(entry.record, serial: serial, policy: entry.policy)
            mutate(id) { $0.phase = .running(serial: serial, task: task) }
            started.append(id)
        }
        for id in started { await flushLogged(id) }
    }

    /// An attempt returned: the task ends, or waits out a backoff before its next attempt. A result for a task
    /// that already ended (cancelled, timed out) is discarded.
    func attemptFinished(_ id: TaskID, serial: UInt64, owner: String, result: TaskRunResult) async {
        attempts[serial] = nil
        releaseSlot(owner)
        guard !isStopping else {
            // A result that made it before the process stops is kept (the attempt runs inside the Task that
            // shutdown() awaits, so this store write finishes before the store closes). Anything else — a
            // failure, most likely the cancellation itself — leaves the task for recovery at the next start.
            if result.status == .completed, let entry = active[id], entry.runningSerial == serial,
                !entry.record.status.isTerminal
            {
                transition(id, to: .completed, message: result.statusMessage, outcome: result.outcome)
                await flushLogged(id)
            }
            return
        }
        guard let entry = active[id], entry.runningSerial == serial, !entry.record.status.isTerminal else {
            await startQueued()
            return
        }
        abandonInputs(id)
        let attempt = entry.record.attempt
        let maxAttempts = entry.policy.maxAttempts
        switch result.status {
        case .completed:
            transition(id, to: .completed, message: result.statusMessage, outcome: result.outcome)
        case .failed where attempt < maxAttempts:
            let delay = entry.policy.backoff(afterAttempt: attempt)
            let ticket = makeSerial()
            let reason = result.statusMessage.map { ": \($0)" } ?? ""
            let message =
                "attempt \(attempt) of \(maxAttempts) failed\(reason); retrying in \(Self.format(delay))"
            mutate(id) { $0.phase = .backoff(ticket: ticket) }
            transition(id, to: .queued, message: message)
            schedule(.retry(id, ticket: ticket), after: delay)
        case .failed:
            transition(id, to: .failed, message: result.statusMessage, outcome: result.outcome)
        default:
            let message = "The task runner ended an attempt with status '\(result.status.rawValue)'"
            logger.error("runner returned a non-final status", metadata: ["task": "\(id)"])
            transition(
                id, to: .failed, message: message, outcome: .error(.internalError(message)))
        }
        await startQueued()
        await flushLogged(id)
    }

    /// A retry backoff ended: put the task back in the run queue.
    func backoffEnded(_ id: TaskID, ticket: UInt64) async {
        guard !isStopping, let entry = active[id], case .backoff(let current) = entry.phase, current == ticket
        else { return }
        enqueue(id, priority: entry.record.priority, owner: entry.record.owner.quotaKey)
        await startQueued()
    }

    /// Puts a task that is `queued` in status into the run queue.
    func enqueue(_ id: TaskID, priority: Int, owner: String) {
        let ticket = makeSerial()
        mutate(id) { $0.phase = .queued(ticket: ticket) }
        runQueue.push(id, ticket: ticket, priority: priority, owner: owner)
    }

    /// The limits that apply to `owner` now.
    func limits(of owner: String) -> OwnerLimits { ownerLimits[owner] ?? configuration.defaultOwnerLimits }

    /// Takes a worker slot for an attempt of `owner`; the owner's queued tasks wait once it reaches its limit.
    func takeSlot(_ owner: String) {
        running += 1
        let count = runningPerOwner[owner, default: 0] + 1
        runningPerOwner[owner] = count
        if let cap = limits(of: owner).concurrentTasks, count >= cap { runQueue.block(owner) }
    }

    /// Gives back a slot ``takeSlot(_:)`` took (the caller starts queued work afterwards).
    func releaseSlot(_ owner: String) {
        running -= 1
        let count = (runningPerOwner[owner] ?? 1) - 1
        runningPerOwner[owner] = count > 0 ? count : nil
        applyLimits(of: owner)
        if count <= 0, activePerOwner[owner] == nil { ownerLimits[owner] = nil }
    }

    /// Blocks or unblocks `owner`'s queued tasks after its running count or its limits changed.
    func applyLimits(of owner: String) {
        let count = runningPerOwner[owner] ?? 0
        if let cap = limits(of: owner).concurrentTasks, count >= cap {
            runQueue.block(owner)
        } else {
            runQueue.unblock(owner)
        }
    }

    /// The policy timeout of an attempt passed: cancel it and fail the task.
    func attemptTimedOut(_ id: TaskID, serial: UInt64) async {
        guard let entry = active[id], entry.runningSerial == serial, !entry.record.status.isTerminal,
            case .running(_, let task) = entry.phase
        else { return }
        task.cancel()
        let message = "timed out after \(Self.format(entry.policy.timeout ?? .zero))"
        transition(id, to: .failed, message: message, outcome: .error(.internalError("Task \(message)")))
        await flushLogged(id)
    }

    /// Records progress of a running attempt and publishes it.
    func reportProgress(_ id: TaskID, serial: UInt64, _ progress: TaskProgress) async {
        let changed =
            mutate(id) { entry -> Bool in
                guard entry.runningSerial == serial, !entry.record.status.isTerminal else { return false }
                entry.record.progress = progress
                if let message = progress.message { entry.record.statusMessage = message }
                entry.stage(ActiveTask.Write(record: entry.record, changes: [.progress]))
                return true
            } ?? false
        if changed { await flushLogged(id) }
    }

    /// "1.5 s", "30 s", "0.05 s".
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if millis % 1000 == 0 { return "\(millis / 1000) s" }
        return "\(Double(millis) / 1000) s"
    }
}

extension TaskPolicy {
    /// The delay before the attempt after `attempt`: `min(maxBackoff, baseBackoff * 2^(attempt-1))`, less up to
    /// 20 % of random jitter (so it never exceeds `maxBackoff`).
    public func backoff(afterAttempt attempt: Int) -> Duration {
        var delay = baseBackoff
        for _ in 1..<max(1, attempt) {
            delay *= 2
            if delay >= maxBackoff { break }
        }
        delay = min(delay, maxBackoff)
        return delay * (1 - Double.random(in: 0..<0.2))
    }
}
