import PostgresNIO

/// Statements every submission sends, prepared once per pooled connection so that PostgreSQL parses them once and,
/// after a few executions, plans them once (its generic plan) instead of on every call. Measured with
/// `pg_stat_statements`: planning the owner's quota count cost more than twice its execution.
enum PreparedStatements {
    /// How many unfinished tasks one owner has (the per-owner quota on submit).
    struct ActiveCount: PostgresPreparedStatement {
        static let name = "errand_active_count"
        static let sql = """
            SELECT count(*) FROM errand_tasks
            WHERE owner_key = $1 AND status IN \(PostgresSchema.unfinishedStatuses)
            """
        typealias Row = Int64

        var ownerKey: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(ownerKey)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }
    }
}
