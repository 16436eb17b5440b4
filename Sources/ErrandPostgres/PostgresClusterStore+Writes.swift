public import ErrandEngine
import PostgresNIO

// Writes that are not an attempt's: each a single statement or one transaction holding the row locks.
extension PostgresClusterStore {
    var channel: String { configuration.channel }

    public func cancel(_ id: TaskID, message: String, nowMs: Int64, origin: String) async throws
        -> ClusterCancelOutcome
    {
        let logger = self.logger
        let channel = self.channel
        return try await transaction { connection in
            let rows = try await connection.rows(
                "SELECT \(unescaped: TaskColumns.select) FROM errand_tasks WHERE id = \(id.rawValue) FOR UPDATE",
                logger: logger)
            guard let row = rows.first else { return .notFound }
            let record = try TaskColumns.decode(row)
            guard let cancelled = record.cancelling(message: message, at: nowMs) else {
                return .alreadyTerminal(record)
            }
            let payload = ClusterSignalPayload.change(.status, taskID: id, status: .cancelled, origin: origin)
            try await connection.query(
                """
                UPDATE errand_tasks SET status = \(cancelled.status.rawValue), record = \(TaskColumns.body(cancelled)),
                    lease_node = NULL, lease_until = NULL, fence = NULL, started_at = NULL
                WHERE id = \(id.rawValue)
                """, logger: logger)
            try await connection.dropInputRequests(of: id, logger: logger)
            try await connection.query("SELECT pg_notify(\(channel), \(payload))", logger: logger)
            return .cancelled(cancelled)
        }
    }

    public func reclaimExpiredLeases(
        nowMs: Int64, limit: Int, origin: String, decide: @Sendable (TaskRecord) -> TaskRecord
    ) async throws -> [TaskRecord] {
        let logger = self.logger
        let channel = self.channel
        // The transaction body runs in a child task (for the call's deadline), which ends before this returns.
        return try await withoutActuallyEscaping(decide) { decide in try await reclaim(decide: decide) }
        func reclaim(decide: @escaping @Sendable (TaskRecord) -> TaskRecord) async throws -> [TaskRecord] {
            try await transaction { connection in
                let rows = try await connection.rows(
                    """
                    SELECT \(unescaped: TaskColumns.select) FROM errand_tasks
                    WHERE status IN ('working', 'input_required') AND lease_until < \(nowMs)
                    ORDER BY lease_until LIMIT \(Int64(max(0, limit))) FOR UPDATE SKIP LOCKED
                    """, logger: logger)
                var stored: [TaskRecord] = []
                for row in rows {
                    let record = decide(try TaskColumns.decode(row))
                    try await connection.query(
                        """
                        UPDATE errand_tasks SET status = \(record.status.rawValue), record = \(TaskColumns.body(record)),
                            attempt = \(Int64(record.attempt)), priority = \(Int64(record.priority)),
                            run_after = \(nowMs), lease_node = NULL, lease_until = NULL, fence = NULL, started_at = NULL
                        WHERE id = \(record.id.rawValue)
                        """, logger: logger)
                    try await connection.dropInputRequests(of: record.id, logger: logger)
                    let payload = ClusterSignalPayload.change(
                        .status, taskID: record.id, status: record.status, origin: origin)
                    try await connection.query("SELECT pg_notify(\(channel), \(payload))", logger: logger)
                    stored.append(record)
                }
                if stored.contains(where: { $0.status == .queued }) {
                    let wake = ClusterSignalPayload.wake(origin: origin)
                    try await connection.query("SELECT pg_notify(\(channel), \(wake))", logger: logger)
                }
                return stored
            }
        }
    }

    public func delete(_ ids: [TaskID], origin: String) async throws -> [TaskRecord] {
        guard !ids.isEmpty else { return [] }
        let prefix = ClusterSignalPayload.sanitizedNode(origin) + "|d|"
        return try await committedRows(
            """
            WITH deleted AS (
                DELETE FROM errand_tasks
                WHERE id = ANY(\(ids.map(\.rawValue))) AND status IN \(unescaped: PostgresSchema.terminalStatuses)
                RETURNING \(unescaped: TaskColumns.select))
            SELECT \(unescaped: TaskColumns.select), pg_notify(\(channel), \(prefix) || id || '|' || status || '|')
            FROM deleted
            """
        ).map(TaskColumns.decode)
    }
}

extension PostgresConnection {
    /// Drops the open input requests of a task whose attempt ended (inside the transaction that ends it).
    func dropInputRequests(of id: TaskID, logger: Logger) async throws {
        try await query("DELETE FROM errand_input_requests WHERE task_id = \(id.rawValue)", logger: logger)
    }
}
