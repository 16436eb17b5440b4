import ErrandProtocol
import Logging

extension ClusterEngine {
    /// The task, if `requester` may see it, as the store has it.
    /// - Throws: `.notFound` for an unknown, purged or foreign task; `.storage` if the store failed.
    public func task(_ id: TaskID, for requester: TaskOwner) async throws(TaskEngineError) -> TaskRecord {
        guard let record = try await storedTask(id), requester.mayAccess(record.owner) else { throw .taskNotFound }
        return record
    }

    /// A page of the tasks `query` selects that `requester` may see, newest first by (`createdAt`, id), as
    /// ``TaskEngine/list(_:for:)`` pages them.
    /// - Throws: `.invalidCursor` for a cursor no engine made, `.storage` if the store failed.
    public func list(_ query: TaskListQuery, for requester: TaskOwner) async throws(TaskEngineError) -> TaskPage {
        let (storeQuery, pageSize) = try query.storeQuery(for: requester)
        let found: [TaskRecord]
        do {
            found = try await store.list(storeQuery)
        } catch {
            throw .storage("list tasks", error)
        }
        return TaskPage(found: found, pageSize: pageSize)
    }

    /// Deletes a terminal task and its result, and publishes `.deleted`.
    /// - Throws: `.notFound` for an unknown or foreign task (or one another node deleted meanwhile), `.notTerminal`
    ///   for one still running or queued, `.storage` if the store failed.
    public func delete(_ id: TaskID, for requester: TaskOwner) async throws(TaskEngineError) {
        guard let record = try await storedTask(id), requester.mayAccess(record.owner) else { throw .taskNotFound }
        guard record.status.isTerminal else { throw TaskEngine.notTerminal(record.status) }
        let deleted: [TaskRecord]
        do {
            deleted = try await store.delete([id], origin: node)
        } catch {
            throw .storage("delete the task", error)
        }
        guard let gone = deleted.first else { throw .taskNotFound }
        publish(.deleted, gone)
    }

    /// Cancels a non-terminal task wherever it runs: its status is `cancelled` and stored when this returns. If this
    /// node runs it, its attempt's Swift task is cancelled at once; the node running it elsewhere stops it when the
    /// signal arrives (or, if the signal is lost, at its next lease renewal). A result the work produces later is
    /// discarded (its fenced write is refused).
    /// - Parameter reason: the status message; default "Cancelled by request".
    /// - Throws: `.notFound` for an unknown or foreign task, `.alreadyTerminal` for one that already ended,
    ///   `.storage` if the store failed.
    public func cancel(_ id: TaskID, for requester: TaskOwner, reason: String? = nil)
        async throws(TaskEngineError) -> TaskRecord
    {
        guard let record = try await storedTask(id), requester.mayAccess(record.owner) else { throw .taskNotFound }
        guard !record.status.isTerminal else { throw TaskEngine.alreadyTerminal(record.status) }
        let outcome: ClusterCancelOutcome
        do {
            outcome = try await store.cancel(
                id, message: reason ?? "Cancelled by request", nowMs: clock.nowMs(), origin: node)
        } catch {
            throw .storage("store the cancellation", error)
        }
        switch outcome {
        case .cancelled(let cancelled):
            stopAttempt(id)
            publish(.status, cancelled)
            return cancelled
        case .alreadyTerminal(let ended): throw TaskEngine.alreadyTerminal(ended.status)
        case .notFound: throw .taskNotFound
        }
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
