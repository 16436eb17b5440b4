extension TaskEngine {
    /// Cancels a non-terminal task: its status is `cancelled` and stored when this returns, and its work is
    /// stopped (a running attempt's Swift task is cancelled; a queued task leaves the queue). A result the work
    /// produces later is discarded. Waiters are released.
    /// - Parameter reason: the status message; default "Cancelled by request".
    /// - Throws: `.notFound` for an unknown or foreign task, `.alreadyTerminal` for one that already ended,
    ///   `.storage` if the cancellation could not be stored.
    public func cancel(_ id: TaskID, for requester: TaskOwner, reason: String? = nil)
        async throws(TaskEngineError) -> TaskRecord
    {
        await untilStarted()  // a task recovery has not reached yet must not be cancelled behind its back
        let message = reason ?? "Cancelled by request"
        guard let entry = active[id] else { return try await cancelUnmanaged(id, for: requester, message: message) }
        guard requester.mayAccess(entry.record.owner) else { throw .taskNotFound }
        guard !entry.record.status.isTerminal else { throw Self.alreadyTerminal(entry.record.status) }
        switch entry.phase {
        case .queued: runQueue.remove(priority: entry.record.priority, owner: entry.record.owner.quotaKey)
        case .running(_, let task): task.cancel()
        case .backoff, .ended: break
        }
        transition(id, to: .cancelled, message: message)
        let record = active[id]?.record ?? entry.record
        try await flush(id)
        return record
    }

    static func alreadyTerminal(_ status: TaskStatus) -> TaskEngineError {
        TaskEngineError(
            .alreadyTerminal(status), "Cannot cancel task: already in terminal status '\(status.rawValue)'")
    }

    /// Cancels a task this engine does not run (left behind by a stopped engine, or run by another node).
    ///
    /// One such cancel of a task at a time: a second waits for the first and then looks again (so it gets
    /// `.alreadyTerminal`, or tries itself if the first could not store the cancellation).
    private func cancelUnmanaged(_ id: TaskID, for requester: TaskOwner, message: String)
        async throws(TaskEngineError) -> TaskRecord
    {
        if cancellingUnmanaged[id] != nil {
            await withCheckedContinuation { cancellingUnmanaged[id, default: []].append($0) }
            return try await cancel(id, for: requester, reason: message)
        }
        cancellingUnmanaged[id] = []
        defer { for waiter in cancellingUnmanaged.removeValue(forKey: id) ?? [] { waiter.resume() } }
        guard var record = try await storedTask(id), requester.mayAccess(record.owner) else { throw .taskNotFound }
        guard !record.status.isTerminal else { throw Self.alreadyTerminal(record.status) }
        guard active[id] == nil else { return try await cancel(id, for: requester, reason: message) }
        let old = record.status
        guard record.apply(.cancelled, message: message, at: clock.nowMs()) else { throw .taskNotFound }
        do {
            try await store.update(record)
        } catch {
            throw .storage("store the cancellation", error)
        }
        countsByStatus[old, default: 0] -= 1
        countsByStatus[.cancelled, default: 0] += 1
        events.publish(.status, task: record)
        return record
    }
}
