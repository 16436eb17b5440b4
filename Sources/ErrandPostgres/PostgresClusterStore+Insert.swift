public import ErrandEngine
import ErrandProtocol
import Logging
import PostgresNIO

/// A task to insert, as the store's ``GroupCommitQueue`` of new tasks holds it.
struct NewTask: Sendable {
    var task: TaskRecord
    var origin: String
    var ownerLimit: Int
}

/// What inserting one ``NewTask`` of a batch did.
enum InsertOutcome: Sendable, Hashable {
    case inserted
    case ownerAtLimit(active: Int)
    /// A task with this id already existed.
    case duplicate
}

// New tasks: those submitted at the same moment go in one statement and one commit, each checked against its
// owner's limit in that statement.
extension PostgresClusterStore {
    public func insert(_ task: TaskRecord, origin: String, ownerLimit: Int) async throws -> ClusterInsertOutcome {
        switch try await inserts.submit(NewTask(task: task, origin: origin, ownerLimit: ownerLimit)) {
        case .inserted: return .inserted
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
        let statement = PreparedStatements.InsertTasks(batch, channel: channel)
        let results: [String: (active: Int64, stored: Bool)]
        do {
            results = try await withDeadline(deadline) {
                var results: [String: (active: Int64, stored: Bool)] = [:]
                for try await row in try await client.execute(statement, logger: logger) {
                    if let row { results[row.id] = (row.active, row.stored) }
                }
                return results
            }
        } catch {
            throw mapped(error)
        }
        return try batch.map { new throws(PostgresClusterStoreError) in
            guard let result = results[new.task.id.rawValue] else {
                throw .database("a batched insert returned nothing for task \(new.task.id.rawValue)")
            }
            if result.stored { return .inserted }
            if result.active >= Int64(new.ownerLimit) { return .ownerAtLimit(active: Int(result.active)) }
            return .duplicate
        }
    }
}
