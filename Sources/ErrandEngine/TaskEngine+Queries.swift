extension TaskEngine {
    /// The task, if `requester` may see it.
    /// - Throws: `.notFound` for an unknown, purged or foreign task; `.storage` if the store failed.
    public func task(_ id: TaskID, for requester: TaskOwner) async throws(TaskEngineError) -> TaskRecord {
        if let entry = active[id] {
            guard requester.mayAccess(entry.record.owner) else { throw .taskNotFound }
            return entry.record
        }
        guard let record = try await storedTask(id), requester.mayAccess(record.owner) else { throw .taskNotFound }
        return record
    }

    /// A page of the tasks `query` selects that `requester` may see, newest first by (`createdAt`, id).
    ///
    /// `.session(s)` lists the visible tasks created in session `s`; `.visible` every task the requester may
    /// access. The page size is clamped to 1...1000; `nextCursor` is set only when more tasks follow.
    /// - Throws: `.invalidCursor` for a cursor this engine did not make, `.storage` if the store failed.
    public func list(_ query: TaskListQuery, for requester: TaskOwner) async throws(TaskEngineError) -> TaskPage {
        let (storeQuery, pageSize) = try query.storeQuery(for: requester)
        let found: [TaskRecord]
        do {
            found = try await store.list(storeQuery)
        } catch {
            throw .storage("list tasks", error)
        }
        var page = TaskPage(found: found, pageSize: pageSize)
        // Tasks still being worked on are fresher in memory than in the store.
        page.tasks = page.tasks.compactMap { stored -> TaskRecord? in
            guard let current = active[stored.id]?.record else { return stored }
            return storeQuery.matches(current) ? current : nil
        }
        return page
    }

    /// Deletes a terminal task and its result, and publishes `.deleted`.
    /// - Throws: `.notFound` for an unknown or foreign task, `.notTerminal` for one still running or queued,
    ///   `.storage` if the store failed.
    public func delete(_ id: TaskID, for requester: TaskOwner) async throws(TaskEngineError) {
        guard !deleting.contains(id) else { throw .taskNotFound }
        if let entry = active[id] {
            guard requester.mayAccess(entry.record.owner) else { throw .taskNotFound }
            guard entry.record.status.isTerminal else { throw Self.notTerminal(entry.record.status) }
            try await flush(id)  // its final write is still being stored
        }
        guard deleting.insert(id).inserted else { throw .taskNotFound }
        defer { deleting.remove(id) }
        guard let record = try await storedTask(id), requester.mayAccess(record.owner) else { throw .taskNotFound }
        guard record.status.isTerminal else { throw Self.notTerminal(record.status) }
        do {
            try await store.delete([id])
        } catch {
            throw .storage("delete the task", error)
        }
        countsByStatus[record.status, default: 0] -= 1
        events.publish(.deleted, task: record)
    }

    static func notTerminal(_ status: TaskStatus) -> TaskEngineError {
        TaskEngineError(
            .notTerminal, "Cannot delete task: it is still '\(status.rawValue)'; cancel it or wait for it to end")
    }

    /// The stored task, mapping store failures.
    func storedTask(_ id: TaskID) async throws(TaskEngineError) -> TaskRecord? {
        do {
            return try await store.task(id)
        } catch {
            throw .storage("read the task", error)
        }
    }
}
