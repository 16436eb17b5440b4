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
    /// stored write (origin: the lease holder) and a wake for each requeued task. Returns the ids it stored.
    /// Static, so that the store's ``GroupCommitQueue`` can call it without holding the store.
    static func storeFencedWrites(
        _ writes: [FencedWrite], client: PostgresClient, channel: String, logger: Logger, deadline: Duration
    ) async throws(PostgresClusterStoreError) -> Set<TaskID> {
        guard !writes.isEmpty else { return [] }
        let ids = try await committedRows(
            client: client, logger: logger, deadline: deadline,
            PreparedStatements.FencedWrites(writes, channel: channel))
        return Set(ids.map { TaskID($0) })
    }
}
