#if Postgres
    import ErrandEngine
    @testable import ErrandPostgres
    import Testing

    /// The task table's statistics follow it while it grows from empty, so that prepared statements are planned
    /// again for its size (``TableStatistics``).
    @Suite struct PostgresStoreStatisticsTests {
        @Test func analysisIsDueEachTimeTheTableDoubles() {
            let statistics = TableStatistics(analyzedRows: 0)
            #expect(!statistics.shouldAnalyze(rows: TableStatistics.minimumRows - 1))
            #expect(statistics.shouldAnalyze(rows: 1_500))
            #expect(!statistics.shouldAnalyze(rows: 5_000), "one analysis at a time")
            statistics.analyzed(rows: 1_500)
            #expect(!statistics.shouldAnalyze(rows: 2_999))
            #expect(statistics.shouldAnalyze(rows: 3_000))
            statistics.analyzed(rows: nil)  // failed: the next count tries again
            #expect(statistics.shouldAnalyze(rows: 3_000))
        }

        @Test func aTableThatDoubledIsAnalyzedWhenCounted() async throws {
            try await withStore { store, database in
                // Only the store analyzes here.
                try await database.execute("ALTER TABLE errand_tasks SET (autovacuum_enabled = false)")
                try await database.execute(
                    """
                    INSERT INTO errand_tasks (id, status, owner_key, target, created_at, priority, attempt, run_after,
                        record)
                    SELECT 'bulk-' || n, 'completed', 'o', 't', 0, 0, 1, 0, '\\x00'::bytea
                    FROM generate_series(1, 1500) AS n
                    """)
                #expect(try await analyzedRows(store) == 0)
                #expect(try await store.counts()[.completed] == 1_500)
                #expect(try await analyzedRows(store) == 1_500)
            }
        }

        private func analyzedRows(_ store: PostgresClusterStore) async throws -> Int {
            try await PostgresClusterStore.analyzedRows(
                client: store.client, logger: store.logger, deadline: .seconds(10))
        }
    }
#endif
