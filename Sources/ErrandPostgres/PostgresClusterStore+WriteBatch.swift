import ErrandEngine
import Logging
import PostgresNIO

/// One attempt's write (see ``ClusterStore/write(_:lease:change:runAfterMs:)``), as the store's
/// ``GroupCommitQueue`` of fenced writes holds it.
struct FencedWrite: Sendable {
    var record: TaskRecord
    var lease: TaskLease
    var change: ClusterChange
    var runAfterMs: Int64?
}

// Group commit of attempts' writes: one statement for a batch, each row guarded by its own fencing token.
extension PostgresClusterStore {
    /// Stores every write of `writes` (at most one per task) whose task still carries its token and is not
    /// terminal, as ``fencedWrite(_:lease:change:runAfterMs:)`` would one by one, in one statement; signals each
    /// stored write (origin: the lease holder) and a wake for each requeued task. Returns, for each write in order,
    /// whether it was stored. Static, so that the store's ``GroupCommitQueue`` can call it without holding the store.
    static func storeFencedWrites(
        _ writes: [FencedWrite], client: PostgresClient, channel: String, logger: Logger, deadline: Duration
    ) async throws(PostgresClusterStoreError) -> [Bool] {
        guard !writes.isEmpty else { return [] }
        let rows = try await committedRows(
            client: client, logger: logger, deadline: deadline,
            PreparedStatements.FencedWrites(writes, channel: channel))
        var stored = [Bool](repeating: false, count: writes.count)
        for case let positions? in rows {
            for position in positions {
                guard position >= 1, position <= writes.count else {
                    throw .database("a batched write of \(writes.count) tasks answered for position \(position)")
                }
                stored[Int(position) - 1] = true
            }
        }
        return stored
    }
}
