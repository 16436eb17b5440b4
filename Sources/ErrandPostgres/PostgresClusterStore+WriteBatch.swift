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
        let records = writes.map(\.record)
        let requeued = records.map { $0.status == .queued }
        let ends = records.map { $0.status == .queued || $0.status.isTerminal }
        let rows = try await rows(
            client: client, logger: logger, deadline: deadline,
            """
            WITH u AS (
                SELECT * FROM unnest(\(records.map(\.id.rawValue))::text[], \(records.map(\.status.rawValue))::text[],
                    \(records.map(TaskColumns.body))::bytea[], \(records.map { Int64($0.attempt) })::bigint[],
                    \(records.map { Int64($0.priority) })::bigint[], \(records.map { $0.expiresAt ?? 0 })::bigint[],
                    \(records.map { $0.expiresAt != nil })::bool[], \(requeued)::bool[],
                    \(writes.map { $0.runAfterMs ?? 0 })::bigint[], \(ends)::bool[], \(writes.map(\.lease.fence))::bigint[],
                    \(writes.map { ClusterSignalPayload.changeSuffix($0.change, taskID: $0.record.id, status: $0.record.status) })::text[])
                    AS u(id, status, record, attempt, priority, expires_at, expires, requeued, run_after, ends, fence, suffix)),
            holder AS (SELECT t.id, coalesce(t.lease_node, '') AS node FROM errand_tasks AS t JOIN u ON t.id = u.id),
            updated AS (
                UPDATE errand_tasks AS t SET status = u.status, record = u.record, attempt = u.attempt,
                    priority = u.priority, expires_at = CASE WHEN u.expires THEN u.expires_at END, started_at = NULL,
                    run_after = CASE WHEN u.requeued THEN u.run_after ELSE t.run_after END,
                    lease_node = CASE WHEN u.ends THEN NULL ELSE t.lease_node END,
                    lease_until = CASE WHEN u.ends THEN NULL ELSE t.lease_until END,
                    fence = CASE WHEN u.ends THEN NULL ELSE t.fence END
                FROM u WHERE t.id = u.id AND t.fence = u.fence
                    AND t.status NOT IN \(unescaped: PostgresSchema.terminalStatuses)
                RETURNING t.id),
            -- Open input requests belong to the attempt: they go when it ends.
            dropped AS (
                DELETE FROM errand_input_requests AS r USING u, updated
                WHERE u.ends AND r.task_id = u.id AND updated.id = u.id)
            SELECT updated.id, pg_notify(\(channel), holder.node || u.suffix),
                CASE WHEN u.requeued THEN pg_notify(\(channel), holder.node || \(ClusterSignalPayload.wakeSuffix)) END
            FROM updated JOIN holder ON holder.id = updated.id JOIN u ON u.id = updated.id
            """)
        var stored: Set<TaskID> = []
        for row in rows {
            do {
                stored.insert(TaskID(try row.makeRandomAccess()[0].decode(String.self)))
            } catch {
                throw .database("a batched write returned no task id: \(error)")
            }
        }
        return stored
    }
}
