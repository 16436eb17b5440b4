#if Postgres
    import ErrandEngine
    @testable import ErrandPostgres
    import Logging
    import PostgresNIO
    import Testing

    /// The prepared statements' generic plans (what a pooled connection runs after a few executions) stay within
    /// the rows a batch concerns, however large the backlog of other owners.
    @Suite struct PostgresStorePlanTests {
        @Test func theInsertCountsOnlyItsOwnersUnfinishedTasksFromTheirIndex() async throws {
            try await withStore { store, database in
                try await database.execute(
                    """
                    INSERT INTO errand_tasks (id, status, owner_key, target, created_at, priority, attempt, run_after,
                        record)
                    SELECT 'backlog-' || g, 'queued', 'owner-' || (g % 200), 'echo', g, 0, 0, 0, '\\x00'::bytea
                    FROM generate_series(1, 20000) AS g
                    """)
                try await database.execute("ANALYZE errand_tasks")
                let logger = Logger(label: "test")
                let plan = try await store.transaction { connection in
                    try await connection.query("SET LOCAL plan_cache_mode = force_generic_plan", logger: logger)
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "PREPARE generic AS " + PreparedStatements.InsertTasks.sql),
                        logger: logger)
                    let arguments = """
                        ARRAY['t1'], ARRAY['queued'], ARRAY['me'], ARRAY[''], ARRAY[false], ARRAY[''], ARRAY[false],
                        ARRAY[''], ARRAY[false], ARRAY['echo'], ARRAY[1], ARRAY[0], ARRAY[false], ARRAY[0], ARRAY[0],
                        ARRAY['\\x00'::bytea], ARRAY[''], ARRAY[false], ARRAY[100], ARRAY['a'], 'errand_events',
                        ARRAY[true], ARRAY['a'], ARRAY[1], ARRAY[60000], ARRAY[4], ARRAY[64]
                        """
                    let rows = try await connection.rows(
                        PostgresQuery(unsafeSQL: "EXPLAIN EXECUTE generic(\(arguments))"), logger: logger)
                    try await connection.query("DEALLOCATE generic", logger: logger)
                    return try rows.map { try $0.decode(String.self) }.joined(separator: "\n")
                }
                // The owner's count reads errand_tasks_owner for that owner, not every unfinished task.
                #expect(plan.contains("errand_tasks_owner"), "\(plan)")
                #expect(!plan.contains("Seq Scan on errand_tasks t"), "\(plan)")
            }
        }
    }
#endif
