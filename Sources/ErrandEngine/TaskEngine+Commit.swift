import ErrandProtocol
import Logging

/// Every change goes one way: mutate the in-memory record, stage a write, then flush — store it, then publish.
///
/// Writes of one task are stored and published strictly in the order they were staged, one store call at a
/// time (staged writes that pile up while one is being stored are coalesced into a single store call, but
/// each still publishes its own events with its own snapshot).
extension TaskEngine {
    /// Runs `body` on the entry of `id` in place; `nil` if the engine does not manage that task.
    func mutate<Result>(_ id: TaskID, _ body: (inout ActiveTask) -> Result) -> Result? {
        guard let index = active.index(forKey: id) else { return nil }
        return body(&active.values[index])
    }

    /// Moves the task to `status` if the state machine allows it, recording history and staging the write with
    /// a `.status` event (plus `extra` events). Returns whether the task changed.
    @discardableResult
    func transition(
        _ id: TaskID, to status: TaskStatus, message: String?, outcome: TaskOutcome? = nil,
        extra: [TaskEvent.Change] = []
    ) -> Bool {
        let now = clock.nowMs()
        let old = mutate(id) { entry -> TaskStatus? in
            let old = entry.record.status
            guard entry.record.apply(status, message: message, at: now) else { return nil }
            if let outcome { entry.record.outcome = outcome }
            if status.isTerminal { entry.phase = .ended }
            entry.stage(ActiveTask.Write(record: entry.record, changes: [.status] + extra))
            return old
        }
        guard case .some(.some(let old)) = old else { return false }
        countsByStatus[old, default: 0] -= 1
        countsByStatus[status, default: 0] += 1
        if status.isTerminal { ended(id) }
        return true
    }

    /// Stages a write of the current record that publishes `changes` (no status change).
    func stage(_ id: TaskID, _ changes: [TaskEvent.Change]) {
        mutate(id) { entry in entry.stage(ActiveTask.Write(record: entry.record, changes: changes)) }
    }

    /// Bookkeeping once a task reached a terminal status: quota, pending input requests.
    private func ended(_ id: TaskID) {
        guard let entry = active[id] else { return }
        releaseQuota(entry.record.owner)
        abandonInputs(id)
    }

    func releaseQuota(_ owner: TaskOwner) {
        let key = owner.quotaKey
        let remaining = (activePerOwner[key] ?? 1) - 1
        activePerOwner[key] = remaining > 0 ? remaining : nil
        activeTotal = max(0, activeTotal - 1)
        if remaining <= 0, runningPerOwner[key] == nil { ownerLimits[key] = nil }
    }

    /// Stores and publishes every staged write of `id`, in order; returns once the writes staged before the
    /// call are stored. If another flush of the task is running, waits for it instead.
    /// - Throws: `.storage` if a write failed. Nothing of the failed batch is published; it goes back to the
    ///   front of the task's outbox, so the task stays known (and its waiters wait) until a later flush — the
    ///   next write, or a retry the engine schedules itself — stores it.
    func flush(_ id: TaskID) async throws(TaskEngineError) {
        guard let entry = active[id] else { return }
        if entry.flushing {
            let failure = await withCheckedContinuation { continuation in
                if mutate(id, { $0.flushWaiters.append(continuation) }) == nil { continuation.resume(returning: nil) }
            }
            if let failure { throw failure }
            return
        }
        guard !entry.outbox.isEmpty else { return }
        mutate(id) { $0.flushing = true }
        var failure: TaskEngineError?
        while let batch = mutate(id, { $0.takeOutbox() }), let latest = batch.last {
            do {
                try await store.update(latest.record)
            } catch {
                logger.error(
                    "could not store task; will retry", metadata: ["task": "\(id)", "error": "\(error)"])
                failure = .storage("store the task", error)
                mutate(id) { $0.storeFailed(batch) }
                break
            }
            mutate(id) { $0.storeFailing = false }
            for write in batch {
                for change in write.changes { events.publish(change, task: write.record) }
            }
        }
        if failure != nil, !isStopping { schedule(.reflush(id), after: .seconds(1)) }
        let waiters =
            mutate(id) { entry -> [CheckedContinuation<TaskEngineError?, Never>] in
                entry.flushing = false
                defer { entry.flushWaiters = [] }
                return entry.flushWaiters
            } ?? []
        finishIfEnded(id)
        for waiter in waiters { waiter.resume(returning: failure) }
        if let failure { throw failure }
    }

    /// Staged writes not stored yet, over all tasks: bounded by the tasks and their status changes, not by how
    /// often they report progress, however long the store is down.
    var pendingWriteCount: Int { active.values.reduce(0) { $0 + $1.outbox.count } }

    /// Flushes and logs instead of throwing, for paths whose caller cannot act on a storage failure.
    func flushLogged(_ id: TaskID) async {
        do { try await flush(id) } catch {}
    }

    /// Forgets a terminal task whose writes are all stored, releasing its waiters with the final record.
    private func finishIfEnded(_ id: TaskID) {
        guard let entry = active[id], case .ended = entry.phase, entry.outbox.isEmpty, !entry.flushing else {
            return
        }
        active[id] = nil
        if active.capacity > 4096, active.count * 8 < active.capacity {
            // Dictionaries never shrink: after a burst of queued work, give the memory back.
            var shrunk = [TaskID: ActiveTask](minimumCapacity: active.count * 2)
            for (key, value) in active { shrunk[key] = value }
            active = shrunk
        }
        for waiter in entry.terminalWaiters.values { waiter.resume(returning: entry.record) }
    }
}

extension TaskRecord {
    /// Applies a status change if the state machine allows it: status, message, `lastUpdatedAt`, history.
    mutating func apply(_ next: TaskStatus, message: String?, at now: Int64) -> Bool {
        guard status.canTransition(to: next) else { return false }
        status = next
        if next != .inputRequired { inputRequest = nil }
        statusMessage = message
        lastUpdatedAt = now
        history.append(TaskHistoryEntry(at: now, status: next, message: message, attempt: attempt))
        return true
    }
}
