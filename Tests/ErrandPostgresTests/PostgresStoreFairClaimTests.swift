#if Postgres
    import ErrandEngine
    import ErrandPostgres
    import ErrandProtocol
    import Testing

    /// Claims in the order a ``TaskEngine`` starts tasks (issue 12): round-robin across owners within a priority, by
    /// the owners' last turns, each owner within its stored `concurrentTasks`.
    @Suite struct PostgresStoreFairClaimTests {
        static let alice = TaskOwner(principal: "alice")
        static let bob = TaskOwner(principal: "bob")

        @Test func aClaimInterleavesOwnersAndTheNextServesTheOwnerLeastRecentlyServed() async throws {
            try await withStore { store, _ in
                let alices = (0..<4).map { makeTask(createdAt: 1_000 + Int64($0), owner: Self.alice) }
                let bobs = (0..<2).map { makeTask(createdAt: 2_000 + Int64($0), owner: Self.bob) }
                for task in alices + bobs { try await store.insert(task, origin: "n") }

                let first = try await store.claim(node: "w", limit: 4, nowMs: 5_000, leaseMs: 60_000)
                #expect(first.map(\.record.id) == [alices[0].id, bobs[0].id, alices[1].id, bobs[1].id])
                // Bob was served last in that round: alice's turn comes before his next one.
                let late = makeTask(createdAt: 3_000, owner: Self.bob)
                try await store.insert(late, origin: "n")
                let second = try await store.claim(node: "w", limit: 1, nowMs: 5_000, leaseMs: 60_000)
                #expect(second.map(\.record.id) == [alices[2].id])
                let third = try await store.claim(node: "w", limit: 1, nowMs: 5_000, leaseMs: 60_000)
                #expect(third.map(\.record.id) == [late.id])
                let rest = try await store.claim(node: "w", limit: 5, nowMs: 5_000, leaseMs: 60_000)
                #expect(rest.map(\.record.id) == [alices[3].id])
            }
        }

        @Test func priorityComesBeforeTurns() async throws {
            try await withStore { store, _ in
                let bobs = makeTask(createdAt: 1_000, priority: 0, owner: Self.bob)
                let high = (0..<2).map { makeTask(createdAt: 2_000 + Int64($0), priority: 5, owner: Self.alice) }
                for task in [bobs] + high { try await store.insert(task, origin: "n") }
                let claimed = try await store.claim(node: "w", limit: 3, nowMs: 5_000, leaseMs: 60_000)
                #expect(claimed.map(\.record.id) == high.map(\.id) + [bobs.id])
            }
        }

        @Test func anOwnerAtItsConcurrentLimitGetsNoMoreUntilOneEnds() async throws {
            try await withStore { store, _ in
                try await store.setOwnerLimits(OwnerLimits(concurrentTasks: 2), ownerKey: Self.alice.quotaKey)
                let alices = (0..<4).map { makeTask(createdAt: 1_000 + Int64($0), owner: Self.alice) }
                let bobs = makeTask(createdAt: 2_000, owner: Self.bob)
                for task in alices + [bobs] { try await store.insert(task, origin: "n") }

                let first = try await store.claim(node: "w", limit: 10, nowMs: 5_000, leaseMs: 60_000)
                #expect(Set(first.map(\.record.id)) == [alices[0].id, alices[1].id, bobs.id])
                #expect(try await store.claim(node: "w", limit: 10, nowMs: 5_000, leaseMs: 60_000).isEmpty)

                // One of alice's attempts ends: one more of hers may start, on any node.
                let done = try #require(first.first { $0.record.id == alices[0].id })
                let completed = try #require(done.record.transitioning(to: .completed, message: nil, at: 5_100))
                #expect(try await store.write(completed, lease: done.lease, change: .status, runAfterMs: nil))
                let next = try await store.claim(node: "other", limit: 10, nowMs: 5_200, leaseMs: 60_000)
                #expect(next.map(\.record.id) == [alices[2].id])

                // Lifting the limit lets the rest start.
                try await store.setOwnerLimits(OwnerLimits(), ownerKey: Self.alice.quotaKey)
                let rest = try await store.claim(node: "w", limit: 10, nowMs: 5_300, leaseMs: 60_000)
                #expect(rest.map(\.record.id) == [alices[3].id])
            }
        }

        @Test func queuedCountCountsOnlyTheOwnersQueuedTasks() async throws {
            try await withStore { store, _ in
                for index in 0..<3 {
                    try await store.insert(makeTask(createdAt: 1_000 + Int64(index), owner: Self.alice), origin: "n")
                }
                try await store.insert(makeTask(owner: Self.bob), origin: "n")
                #expect(try await store.queuedCount(ownerKey: Self.alice.quotaKey) == 3)
                _ = try await store.claim(node: "w", limit: 1, nowMs: 5_000, leaseMs: 60_000)
                #expect(try await store.queuedCount(ownerKey: Self.alice.quotaKey) == 2)
                #expect(try await store.queuedCount(ownerKey: "p:nobody") == 0)
            }
        }
    }
#endif
