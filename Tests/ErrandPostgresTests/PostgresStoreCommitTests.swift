#if Postgres
    import ErrandEngine
    @testable import ErrandPostgres
    import ErrandProtocol
    import Logging
    import PostgresNIO
    import Testing

    /// A write returns only once its transaction committed. PostgreSQL answers a statement (its rows and
    /// CommandComplete) before it commits the statement's implicit transaction; a commit that fails after that must
    /// fail the call, not be lost after the caller was told the task is stored. A deferred constraint trigger makes
    /// the commit fail.
    @Suite struct PostgresStoreCommitTests {
        static let refuseAtCommit = """
            CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql
                AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$
            """

        @Test func aSubmissionWhoseCommitFailsIsNotAcknowledged() async throws {
            try await withStore { store, database in
                try await database.execute(Self.refuseAtCommit)
                try await database.execute(
                    """
                    CREATE CONSTRAINT TRIGGER refuse_doomed AFTER INSERT ON errand_tasks DEFERRABLE INITIALLY DEFERRED
                        FOR EACH ROW WHEN (NEW.target = 'doomed') EXECUTE FUNCTION refuse_at_commit()
                    """)
                let doomed = makeTask(target: "doomed")
                await #expect(throws: PostgresClusterStoreError.self) {
                    try await store.insert(doomed, origin: "a")
                }
                #expect(try await store.task(doomed.id) == nil)
                let kept = makeTask()
                try await store.insert(kept, origin: "a")
                #expect(try await store.task(kept.id)?.status == .queued)
            }
        }

        @Test func aFinalWriteWhoseCommitFailsIsNotAcknowledged() async throws {
            try await withStore { store, database in
                try await database.execute(Self.refuseAtCommit)
                try await database.execute(
                    """
                    CREATE CONSTRAINT TRIGGER refuse_completion AFTER UPDATE ON errand_tasks
                        DEFERRABLE INITIALLY DEFERRED
                        FOR EACH ROW WHEN (NEW.status = 'completed') EXECUTE FUNCTION refuse_at_commit()
                    """)
                try await store.insert(makeTask(), origin: "a")
                let claimed = try #require(
                    try await store.claim(node: "w", limit: 1, nowMs: 2_000, leaseMs: 60_000).first)
                var done = claimed.record
                done.status = .completed
                await #expect(throws: PostgresClusterStoreError.self) {
                    _ = try await store.write(done, lease: claimed.lease, change: .status, runAfterMs: nil)
                }
                #expect(try await store.task(claimed.record.id)?.status == .working)
            }
        }

        @Test func aTransactionWhoseBodyThrowsIsRolledBackAndLeavesNoConnectionInsideIt() async throws {
            struct Refused: Error {}
            try await withStore { store, _ in
                let logger = Logger(label: "test")
                await #expect(throws: PostgresClusterStoreError.self) {
                    try await store.transaction { connection in
                        try await connection.query(
                            """
                            INSERT INTO errand_nodes (node, worker_slots, running, seen_at) VALUES ('ghost', 1, 0, 0)
                            """, logger: logger)
                        throw Refused()
                    }
                }
                let ghosts = try await store.rows("SELECT count(*) FROM errand_nodes WHERE node = 'ghost'")
                #expect(try ghosts.first?.decode(Int64.self) == 0)
                let open = try await store.rows(
                    """
                    SELECT count(*) FROM pg_stat_activity
                    WHERE datname = current_database() AND state LIKE 'idle in transaction%'
                    """)
                #expect(try open.first?.decode(Int64.self) == 0)
                // And the next transaction commits as usual.
                let kept = makeTask()
                try await store.insert(kept, origin: "a")
                #expect(try await store.task(kept.id)?.status == .queued)
            }
        }
    }
#endif
