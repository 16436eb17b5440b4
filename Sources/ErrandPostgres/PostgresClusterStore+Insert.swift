public import ErrandEngine
import ErrandProtocol
import Logging
import PostgresNIO

/// A task to insert, as the store's ``GroupCommitQueue`` of new tasks holds it.
struct NewTask: Sendable {
    var task: TaskRecord
    var origin: String
    var ownerLimit: Int
    var start: ImmediateStart?
}

/// What inserting one ``NewTask`` of a batch did.
enum InsertOutcome: Sendable, Hashable {
    case inserted
    /// Stored already claimed, with this fencing token.
    case started(fence: Int64)
    case ownerAtLimit(active: Int)
    /// A task with this id already existed.
    case duplicate
}

// New tasks: those submitted at the same moment go in one statement and one commit, each checked against its
// owner's limit in that statement.
extension PostgresClusterStore {
    public func insert(_ task: TaskRecord, origin: String, ownerLimit: Int, start: ImmediateStart?) async throws
        -> ClusterInsertOutcome
    {
        switch try await inserts.submit(NewTask(task: task, origin: origin, ownerLimit: ownerLimit, start: start)) {
        case .inserted: return .inserted
        case .started(let fence):
            // What the row reads back as (TaskColumns): the queued body with the attempt started at `nowMs`.
            guard let start, let started = task.startingNextAttempt(at: start.nowMs) else {
                throw PostgresClusterStoreError.database("task \(task.id.rawValue) was started without a start")
            }
            return .started(ClaimedTask(record: started, lease: TaskLease(taskID: task.id, fence: fence)))
        case .ownerAtLimit(let active): return .ownerAtLimit(active: active)
        case .duplicate: throw PostgresClusterStoreError.duplicateID(task.id.rawValue)
        }
    }

    /// Inserts `batch` in one prepared statement; returns each task's outcome in order. Static, so that the
    /// store's ``GroupCommitQueue`` can call it without holding the store.
    static func storeNewTasks(
        _ batch: [NewTask], client: PostgresClient, channel: String, logger: Logger, deadline: Duration
    ) async throws(PostgresClusterStoreError) -> [InsertOutcome] {
        guard !batch.isEmpty else { return [] }
        let rows = try await committedRows(
            client: client, logger: logger, deadline: deadline, PreparedStatements.InsertTasks(batch, channel: channel))
        guard case let (active, stored, fences)?? = rows.first,
            active.count == batch.count, stored.count == batch.count, fences.count == batch.count
        else {
            throw .database("a batched insert of \(batch.count) tasks did not answer for each")
        }
        return batch.indices.map { index in
            if stored[index] { return fences[index] > 0 ? .started(fence: fences[index]) : .inserted }
            if active[index] >= Int64(batch[index].ownerLimit) { return .ownerAtLimit(active: Int(active[index])) }
            return .duplicate
        }
    }
}
