public import ErrandEngine
import PostgresNIO

// Claims and the writes of an attempt, guarded by its fencing token.
extension PostgresClusterStore {
    /// One statement: locks the runnable rows (`FOR UPDATE SKIP LOCKED`), stores the new attempt in the columns
    /// (status, attempt, `started_at`, lease, token) and signals each; the new attempt's record is derived from the
    /// stored body (see ``TaskColumns``), so nothing is decoded, transformed and written back in between.
    public func claim(node: String, limit: Int, nowMs: Int64, leaseMs: Int64) async throws -> [ClaimedTask] {
        guard limit > 0 else { return [] }
        let node = ClusterSignalPayload.sanitizedNode(node)
        let rows = try await rows(
            """
            WITH picked AS MATERIALIZED (
                SELECT id FROM errand_tasks
                WHERE status = 'queued' AND run_after <= \(nowMs)
                ORDER BY priority DESC, created_at, id LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED)
            UPDATE errand_tasks AS t SET status = 'working', attempt = t.attempt + 1, started_at = \(nowMs),
                lease_node = \(node), lease_until = \(nowMs + leaseMs), fence = nextval('errand_fence')
            FROM picked WHERE t.id = picked.id
            RETURNING \(unescaped: TaskColumns.qualifiedSelect),
                t.fence, pg_notify(\(channel), \(node + "|s|") || t.id || '|working|')
            """)
        var result: [ClaimedTask] = []
        result.reserveCapacity(rows.count)
        for row in rows {
            let record = try TaskColumns.decode(row)
            let fence = try Self.fence(of: row)
            result.append(ClaimedTask(record: record, lease: TaskLease(taskID: record.id, fence: fence)))
        }
        // Claim order: highest priority first, then oldest (as selected).
        return result.sorted { lhs, rhs in
            if lhs.record.priority != rhs.record.priority { return lhs.record.priority > rhs.record.priority }
            if lhs.record.createdAt != rhs.record.createdAt { return lhs.record.createdAt < rhs.record.createdAt }
            return lhs.record.id.rawValue.utf8.lexicographicallyPrecedes(rhs.record.id.rawValue.utf8)
        }
    }

    /// The fencing token a claim returns after the task's columns.
    private static func fence(of row: PostgresRow) throws(PostgresClusterStoreError) -> Int64 {
        do {
            return try row.makeRandomAccess()[TaskColumns.count].decode(Int64.self)
        } catch {
            throw .database("a claim returned no fencing token: \(error)")
        }
    }

    /// Goes out with the other writes made meanwhile, in one statement (see ``GroupCommitQueue``).
    public func write(_ record: TaskRecord, lease: TaskLease, change: ClusterChange, runAfterMs: Int64?)
        async throws -> Bool
    {
        try await writes.submit(FencedWrite(record: record, lease: lease, change: change, runAfterMs: runAfterMs))
    }

    public func renew(node: String, leases: [TaskLease], untilMs: Int64) async throws -> Set<TaskID> {
        guard !leases.isEmpty else { return [] }
        let node = ClusterSignalPayload.sanitizedNode(node)
        let rows = try await rows(
            """
            UPDATE errand_tasks AS t SET lease_until = \(untilMs)
            FROM unnest(\(leases.map(\.taskID.rawValue))::text[], \(leases.map(\.fence))::bigint[]) AS u(id, fence)
            WHERE t.id = u.id AND t.fence = u.fence AND t.lease_node = \(node)
                AND t.status NOT IN \(unescaped: PostgresSchema.terminalStatuses)
            RETURNING t.id
            """)
        var lost = Set(leases.map(\.taskID))
        for row in rows { lost.remove(TaskID(try row.decode(String.self))) }
        return lost
    }

    /// The `UPDATE` of an attempt's write, guarded by its token, with its signals; returns one row if it wrote.
    ///
    /// The origin of the signals is the node holding the lease (read from the row, not passed by the caller). A
    /// write that ends the attempt (`queued` or terminal) also drops the attempt's open input requests.
    func fencedWrite(_ record: TaskRecord, lease: TaskLease, change: ClusterChange, runAfterMs: Int64?)
        -> PostgresQuery
    {
        let requeued = record.status == .queued
        let endsAttempt = requeued || record.status.isTerminal
        let suffix = ClusterSignalPayload.changeSuffix(change, taskID: record.id, status: record.status)
        return """
            WITH holder AS (SELECT coalesce(lease_node, '') AS node FROM errand_tasks WHERE id = \(record.id.rawValue)),
            updated AS (
                UPDATE errand_tasks SET status = \(record.status.rawValue), record = \(TaskColumns.body(record)),
                    attempt = \(Int64(record.attempt)), priority = \(Int64(record.priority)),
                    expires_at = \(record.expiresAt), started_at = NULL,
                    run_after = CASE WHEN \(requeued) THEN \(runAfterMs ?? 0) ELSE run_after END,
                    lease_node = CASE WHEN \(endsAttempt) THEN NULL ELSE lease_node END,
                    lease_until = CASE WHEN \(endsAttempt) THEN NULL ELSE lease_until END,
                    fence = CASE WHEN \(endsAttempt) THEN NULL ELSE fence END
                WHERE id = \(record.id.rawValue) AND fence = \(lease.fence)
                    AND status NOT IN \(unescaped: PostgresSchema.terminalStatuses)
                RETURNING id),
            -- Open input requests belong to the attempt: they go when it ends.
            dropped AS (
                DELETE FROM errand_input_requests
                WHERE \(endsAttempt) AND task_id = \(record.id.rawValue) AND EXISTS (SELECT 1 FROM updated))
            SELECT updated.id, pg_notify(\(channel), holder.node || \(suffix)),
                CASE WHEN \(requeued) THEN pg_notify(\(channel), holder.node || \(ClusterSignalPayload.wakeSuffix)) END
            FROM updated, holder
            """
    }
}
