#if Postgres
    import ErrandEngine
    import ErrandPostgres
    import ErrandProtocol
    import Testing

    /// A claim stores the new attempt in the row's columns only; every reader and writer must see the task exactly
    /// as the claim handed it to the node until the attempt writes.
    @Suite struct PostgresStoreClaimRecordTests {
        @Test func claimedTaskReadsAsClaimedEverywhere() async throws {
            try await withStore { store, _ in
                let task = makeTask()
                try await store.insert(task, origin: "n")
                let claimed = try #require(
                    try await store.claim(node: "w", limit: 1, nowMs: 2_000, leaseMs: 1_000).first)
                #expect(claimed.record == task.startingNextAttempt(at: 2_000))
                #expect(try await store.task(task.id) == claimed.record)
                #expect(try await store.tasks([task.id, TaskID.random()]) == [task.id: claimed.record])
                let listed = try await store.list(TaskStoreQuery(requester: .anonymous, limit: 10))
                #expect(listed == [claimed.record])
            }
        }

        @Test func cancelOfAClaimedTaskKeepsTheAttemptInItsHistory() async throws {
            try await withStore { store, _ in
                let task = makeTask()
                try await store.insert(task, origin: "n")
                let claimed = try #require(
                    try await store.claim(node: "w", limit: 1, nowMs: 2_000, leaseMs: 1_000).first)
                guard
                    case .cancelled(let cancelled) = try await store.cancel(
                        task.id, message: "stop", nowMs: 2_100, origin: "a")
                else { Issue.record("not cancelled"); return }
                #expect(cancelled == claimed.record.cancelling(message: "stop", at: 2_100))
                #expect(cancelled.attempt == 1)
                #expect(cancelled.history.map(\.status) == [.queued, .working, .cancelled])
                #expect(try await store.task(task.id) == cancelled)
            }
        }

        @Test func takeoverOfAClaimedTaskSeesTheAttempt() async throws {
            try await withStore { store, _ in
                let task = makeTask()
                try await store.insert(task, origin: "n")
                let claimed = try #require(
                    try await store.claim(node: "a", limit: 1, nowMs: 2_000, leaseMs: 1_000).first)
                let seen = SharedArray<TaskRecord>()
                let reclaimed = try await store.reclaimExpiredLeases(nowMs: 3_001, limit: 10, origin: "b") { record in
                    seen.append(contentsOf: [record])
                    return record.transitioning(to: .queued, message: "lease lost", at: 3_001) ?? record
                }
                #expect(seen.all == [claimed.record])
                #expect(reclaimed.count == 1)
                #expect(try await store.task(task.id) == reclaimed.first)
                let second = try #require(
                    try await store.claim(node: "b", limit: 1, nowMs: 3_002, leaseMs: 1_000).first)
                #expect(second.record.attempt == 2)
                #expect(second.record.history.map(\.status) == [.queued, .working, .queued, .working])
                #expect(try await store.task(task.id) == second.record)
            }
        }

        @Test func databaseOfSchemaVersionOneIsMigrated() async throws {
            let database = try await TestDatabase.make()
            let first = try await database.open()
            let task = makeTask()
            try await first.insert(task, origin: "n")
            await first.close()
            // As version 1 left it.
            try await database.execute("ALTER TABLE errand_tasks DROP COLUMN started_at")
            try await database.execute("ALTER TABLE errand_tasks DROP COLUMN parent")  // its index goes with it
            try await database.execute("DROP TABLE errand_nodes")
            try await database.execute("DROP TABLE errand_owners")
            try await database.execute("DROP SEQUENCE errand_owner_turn")
            try await database.execute("DROP INDEX errand_tasks_owner_queue")
            try await database.execute("DROP INDEX errand_tasks_owner_running")
            try await database.execute(
                "CREATE INDEX errand_tasks_claim ON errand_tasks (status, priority DESC, created_at, id)"
                    + " WHERE status = 'queued'")
            try await database.execute("DELETE FROM errand_schema WHERE version >= 2")
            let second = try await database.open()
            #expect(try await second.task(task.id) == task)
            let claimed = try await second.claim(node: "w", limit: 1, nowMs: 2_000, leaseMs: 1_000)
            #expect(claimed.map(\.record) == [task.startingNextAttempt(at: 2_000)])
            try await second.recordHeartbeat(NodeHeartbeat(node: "w", workerSlots: 1, running: 1, seenAtMs: 2_000))
            #expect(try await second.heartbeats(seenAfterMs: 0).map(\.node) == ["w"])  // version 4 is there too
            // Version 5 too: the owner's limits are stored and the claim applies them.
            try await second.setOwnerLimits(OwnerLimits(concurrentTasks: 1), ownerKey: task.owner.quotaKey)
            try await second.insert(makeTask(), origin: "n")
            #expect(try await second.claim(node: "w", limit: 1, nowMs: 2_100, leaseMs: 1_000).isEmpty)
            await second.close()
            try await database.drop()
        }
    }
#endif
