#if Postgres
    import ErrandEngine
    import ErrandPostgres
    import ErrandProtocol
    import Testing

    @Suite struct PostgresStoreClaimTests {
        @Test func claimTakesHighestPriorityThenOldestAndStartsTheAttempt() async throws {
            try await withStore { store, _ in
                let low = makeTask(createdAt: 1_000, priority: 0)
                let oldHigh = makeTask(createdAt: 1_001, priority: 5)
                let newHigh = makeTask(createdAt: 1_002, priority: 5)
                let middle = makeTask(createdAt: 999, priority: 1)
                for task in [low, oldHigh, newHigh, middle] { try await store.insert(task, origin: "n") }

                let claimed = try await store.claim(node: "w", limit: 3, nowMs: 5_000, leaseMs: 1_000)
                #expect(claimed.map(\.record.id) == [oldHigh.id, newHigh.id, middle.id])
                for task in claimed {
                    #expect(task.record.status == .working)
                    #expect(task.record.attempt == 1)
                    #expect(task.record.lastUpdatedAt == 5_000)
                    #expect(
                        task.record.history.last
                            == TaskHistoryEntry(at: 5_000, status: .working, message: nil, attempt: 1))
                    #expect(try await store.task(task.record.id) == task.record)
                }
                #expect(Set(claimed.map(\.lease.fence)).count == 3)
                let rest = try await store.claim(node: "w", limit: 10, nowMs: 5_000, leaseMs: 1_000)
                #expect(rest.map(\.record.id) == [low.id])
                #expect(rest[0].lease.fence > claimed.map(\.lease.fence).max()!)
                #expect(try await store.claim(node: "w", limit: 10, nowMs: 5_000, leaseMs: 1_000).isEmpty)
                #expect(try await store.claim(node: "w", limit: 0, nowMs: 5_000, leaseMs: 1_000).isEmpty)
            }
        }

        @Test func concurrentClaimersTakeEveryTaskExactlyOnce() async throws {
            try await withStore { store, _ in
                let count = 500
                var ids = Set<TaskID>()
                for index in 0..<count {
                    let task = makeTask(createdAt: 1_000 + Int64(index % 7), priority: index % 3)
                    ids.insert(task.id)
                    try await store.insert(task, origin: "n")
                }
                let claims = SharedArray<TaskID>()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for claimer in 0..<4 {
                        group.addTask {
                            while true {
                                let batch = try await store.claim(
                                    node: "w\(claimer)", limit: 7, nowMs: 10_000, leaseMs: 60_000)
                                if batch.isEmpty { return }
                                claims.append(contentsOf: batch.map(\.record.id))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let claimed = claims.all
                #expect(claimed.count == count)
                #expect(Set(claimed) == ids)
                #expect(try await store.counts() == [.working: count])
            }
        }

        @Test func requeuedTaskWaitsForItsRunAfterAndRunsAsTheNextAttempt() async throws {
            try await withStore { store, _ in
                try await store.insert(makeTask(), origin: "n")
                let first = try #require(try await store.claim(node: "w", limit: 1, nowMs: 2_000, leaseMs: 1_000).first)
                var retry = first.record
                retry.status = .queued
                retry.history.append(TaskHistoryEntry(at: 2_100, status: .queued, message: "retry", attempt: 1))
                #expect(try await store.write(retry, lease: first.lease, change: .status, runAfterMs: 3_000))
                #expect(try await store.claim(node: "w", limit: 1, nowMs: 2_999, leaseMs: 1_000).isEmpty)
                let second = try #require(
                    try await store.claim(node: "w", limit: 1, nowMs: 3_000, leaseMs: 1_000).first)
                #expect(second.record.attempt == 2)
                #expect(second.lease.fence > first.lease.fence)
                // The first attempt's token is spent: its late writes are refused.
                #expect(try await !store.write(first.record, lease: first.lease, change: .progress, runAfterMs: nil))
            }
        }
    }
#endif
