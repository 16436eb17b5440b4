import ErrandProtocol

extension ClusterEngine {
    /// Waits until the task is terminal (or `timeout` passes) and returns it as it is then.
    ///
    /// Returns at once for a terminal task. Any number of callers may wait on one task; all are released when its
    /// end is published on this node (by whichever node ended it), when `timeout` passes, when the calling Swift
    /// task is cancelled, or at shutdown — in the last three cases with the task as last seen. Should the signal of
    /// the end be lost, the task is read again every ``ClusterEngineConfiguration/waiterRecheckInterval``.
    /// - Throws: `.notFound` for an unknown or foreign task, `.storage` if the store failed.
    public func waitForTerminal(_ id: TaskID, for requester: TaskOwner, timeout: Duration? = nil)
        async throws(TaskEngineError) -> TaskRecord
    {
        // Registered before the read, so that an end published while the read is in flight is not missed.
        let waiter = makeSerial()
        waiters[id, default: [:]][waiter] = TerminalWaiter()
        let stored: TaskRecord?
        do {
            stored = try await storedTask(id)
        } catch {
            removeWaiter(id, waiter)
            throw error
        }
        guard let stored, requester.mayAccess(stored.owner) else {
            removeWaiter(id, waiter)
            throw .taskNotFound
        }
        if let decided = waiters[id]?[waiter]?.outcome {
            removeWaiter(id, waiter)
            return decided
        }
        let timedOut = timeout.map { $0 <= .zero } ?? false
        if stored.status.isTerminal || lifecycle == .shuttingDown || timedOut {
            removeWaiter(id, waiter)
            return stored
        }
        waiters[id]?[waiter]?.latest = remembered[id] ?? stored
        if let timeout { schedule(.releaseWaiter(id, waiter: waiter), after: timeout) }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard let registered = waiters[id]?[waiter] else {
                    continuation.resume(returning: stored)
                    return
                }
                if let decided = registered.outcome ?? (Task.isCancelled ? registered.latest ?? stored : nil) {
                    removeWaiter(id, waiter)
                    continuation.resume(returning: decided)
                } else {
                    waiters[id]?[waiter]?.continuation = continuation
                }
            }
        } onCancel: {
            Task { await self.releaseWaiter(id, waiter: waiter) }
        }
    }

    private func removeWaiter(_ id: TaskID, _ waiter: UInt64) {
        waiters[id]?[waiter] = nil
        if waiters[id]?.isEmpty == true { waiters[id] = nil }
    }

    /// Releases one waiter with the task as last seen (its timeout passed, or its caller was cancelled).
    func releaseWaiter(_ id: TaskID, waiter: UInt64) {
        guard let registered = waiters[id]?[waiter] else { return }
        // A waiter has its continuation only once its task was read (`latest` is set by then).
        guard let continuation = registered.continuation, let latest = registered.latest else {
            waiters[id]?[waiter]?.outcome = registered.outcome ?? registered.latest
            return
        }
        removeWaiter(id, waiter)
        continuation.resume(returning: latest)
    }

    /// Releases every waiter of `id` with `record` (the task ended or was deleted).
    func resolveWaiters(_ id: TaskID, with record: TaskRecord) {
        guard let registered = waiters[id] else { return }
        for (waiter, entry) in registered {
            if let continuation = entry.continuation {
                removeWaiter(id, waiter)
                continuation.resume(returning: record)
            } else {
                waiters[id]?[waiter]?.outcome = record
            }
        }
    }

    /// Keeps the latest state of a task for its waiters (returned on timeout, cancellation or shutdown).
    func noteLatest(_ record: TaskRecord) {
        guard let registered = waiters[record.id] else { return }
        for waiter in registered.keys { waiters[record.id]?[waiter]?.latest = record }
    }

    /// Releases every waiter of `id` with the task as last seen (it vanished without this node seeing its end).
    func releaseWaiters(_ id: TaskID) {
        for waiter in Array((waiters[id] ?? [:]).keys) { releaseWaiter(id, waiter: waiter) }
    }

    /// Releases every waiter of every task with the task as last seen (shutdown).
    func releaseAllWaiters() {
        for id in Array(waiters.keys) { releaseWaiters(id) }
    }

}
