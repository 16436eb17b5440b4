extension TaskEngine {
    /// Waits until the task is terminal (or `timeout` passes) and returns it as it is then.
    ///
    /// Returns at once for a terminal task. Any number of callers may wait on one task; all are released when
    /// it ends (also by cancellation), when `timeout` passes, when the calling Swift task is cancelled, or at
    /// shutdown — in the last three cases with the task still non-terminal.
    /// - Throws: `.notFound` for an unknown or foreign task.
    public func waitForTerminal(_ id: TaskID, for requester: TaskOwner, timeout: Duration? = nil)
        async throws(TaskEngineError) -> TaskRecord
    {
        guard let entry = active[id] else {
            guard let record = try await storedTask(id), requester.mayAccess(record.owner) else {
                throw .taskNotFound
            }
            return record
        }
        guard requester.mayAccess(entry.record.owner) else { throw .taskNotFound }
        // At shutdown nothing will end the task or fire a timeout any more: answer with it as it is.
        if isStopping { return entry.record }
        if let timeout, timeout <= .zero { return entry.record }
        let waiter = makeSerial()
        if let timeout { schedule(.releaseWaiter(id, waiter: waiter), after: timeout) }
        let fallback = entry.record
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let registered = mutate(id) { $0.terminalWaiters[waiter] = continuation } != nil
                if !registered || Task.isCancelled {
                    mutate(id) { $0.terminalWaiters[waiter] = nil }
                    continuation.resume(returning: active[id]?.record ?? fallback)
                }
            }
        } onCancel: {
            Task { await self.releaseWaiter(id, waiter: waiter) }
        }
    }

    /// Releases one waiter with the task as it is now.
    func releaseWaiter(_ id: TaskID, waiter: UInt64) {
        guard
            let (continuation, record) = mutate(
                id, { entry in (entry.terminalWaiters.removeValue(forKey: waiter), entry.record) }),
            let continuation
        else { return }
        continuation.resume(returning: record)
    }

    /// Releases every waiter of every task with the task as it is now (shutdown).
    func releaseAllWaiters() {
        for id in active.keys {
            let waiters =
                mutate(id) { entry in
                    defer { entry.terminalWaiters = [:] }
                    return (entry.terminalWaiters.values.map { $0 }, entry.record)
                }
            guard let (continuations, record) = waiters else { continue }
            for continuation in continuations { continuation.resume(returning: record) }
        }
    }

    /// Whether anyone waits for `id` to end.
    func hasWaiters(_ id: TaskID) -> Bool { !(active[id]?.terminalWaiters.isEmpty ?? true) }

    /// How many callers of ``waitForTerminal(_:for:timeout:)`` wait for `id` now: tests wait for a wait to begin.
    package func waiterCount(_ id: TaskID) -> Int { active[id]?.terminalWaiters.count ?? 0 }

    /// Whether ``shutdown()`` has begun.
    package var hasBegunShutdown: Bool { isStopping }
}
