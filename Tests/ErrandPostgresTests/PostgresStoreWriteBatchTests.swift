#if Postgres
    import ErrandEngine
    import ErrandPostgres
    import ErrandProtocol
    import Testing

    /// Writes of attempts running at once go to the database in batches; each row is still fenced on its own.
    @Suite struct PostgresStoreWriteBatchTests {
        @Test func concurrentWritesAreEachFencedAndSignalled() async throws {
            try await withStore { store, database in
                let other = try await database.open()
                let recorder = SignalRecorder(other.signals(node: "watcher"))
                let count = 60
                for index in 0..<count {
                    try await store.insert(makeTask(createdAt: 1_000 + Int64(index)), origin: "n")
                }
                let claimed = try await store.claim(node: "w", limit: count, nowMs: 2_000, leaseMs: 60_000)
                #expect(claimed.count == count)
                // Every fourth attempt loses its token before it writes.
                let cancelled = Set(claimed.enumerated().filter { $0.offset % 4 == 0 }.map(\.element.record.id))
                for id in cancelled { _ = try await store.cancel(id, message: "stop", nowMs: 2_100, origin: "a") }
                let results = try await withThrowingTaskGroup(of: (TaskID, Bool).self) { group in
                    for task in claimed {
                        group.addTask {
                            var done = try #require(task.record.transitioning(to: .completed, message: nil, at: 2_200))
                            done.outcome = .result([
                                "content": [["type": "text", "text": .string(task.record.id.rawValue)]]
                            ])
                            return (
                                task.record.id,
                                try await store.write(done, lease: task.lease, change: .status, runAfterMs: nil)
                            )
                        }
                    }
                    var results: [TaskID: Bool] = [:]
                    for try await (id, stored) in group { results[id] = stored }
                    return results
                }
                for task in claimed {
                    let id = task.record.id
                    #expect(results[id] == !cancelled.contains(id))
                    let stored = try #require(try await store.task(id))
                    if cancelled.contains(id) {
                        #expect(stored.status == .cancelled)
                    } else {
                        #expect(stored.status == .completed)
                        #expect(
                            stored.outcome == .result(["content": [["type": "text", "text": .string(id.rawValue)]]]))
                        #expect(await recorder.wait { $0 == .changed(id, .status, status: .completed) })
                    }
                }
                #expect(try await store.renew(node: "w", leases: claimed.map(\.lease), untilMs: 90_000).count == count)
                await other.close()
            }
        }

        @Test func batchedRetryRequeuesAndWakes() async throws {
            try await withStore { store, database in
                let other = try await database.open()
                let recorder = SignalRecorder(other.signals(node: "watcher"))
                let tasks = (0..<3).map { makeTask(createdAt: 1_000 + Int64($0)) }
                for task in tasks { try await store.insert(task, origin: "n") }
                let claimed = try await store.claim(node: "w", limit: 3, nowMs: 2_000, leaseMs: 60_000)
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for task in claimed {
                        group.addTask {
                            let retry = try #require(
                                task.record.transitioning(to: .queued, message: "retry", at: 2_100))
                            return try await store.write(retry, lease: task.lease, change: .status, runAfterMs: 2_500)
                        }
                    }
                    for try await stored in group { #expect(stored) }
                }
                #expect(try await store.claim(node: "w", limit: 3, nowMs: 2_499, leaseMs: 1_000).isEmpty)
                let again = try await store.claim(node: "w", limit: 3, nowMs: 2_500, leaseMs: 1_000)
                #expect(Set(again.map(\.record.id)) == Set(tasks.map(\.id)))
                #expect(again.allSatisfy { $0.record.attempt == 2 })
                // Each insert wakes the other nodes; requeues do too, once per transaction (PostgreSQL folds
                // identical notifications of one transaction), so a batch of three sends at least one.
                var wakes = 0
                for _ in 0..<1_000 {
                    wakes = recorder.signals.count { $0 == .wake }
                    if wakes >= 4 { break }
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(wakes >= 4)
                await other.close()
            }
        }
    }
#endif
