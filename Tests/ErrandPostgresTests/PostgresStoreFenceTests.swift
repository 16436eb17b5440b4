#if Postgres
    import ErrandEngine
    import ErrandPostgres
    import ErrandProtocol
    import Testing

    @Suite struct PostgresStoreFenceTests {
        @Test func writesOfTheLeaseHolderAreStored() async throws {
            try await withStore { store, _ in
                try await store.insert(makeTask(), origin: "n")
                let claimed = try #require(
                    try await store.claim(node: "w", limit: 1, nowMs: 2_000, leaseMs: 1_000).first)
                var record = claimed.record
                record.progress = TaskProgress(current: 1, total: 2, message: "half")
                #expect(try await store.write(record, lease: claimed.lease, change: .progress, runAfterMs: nil))
                #expect(try await store.task(record.id) == record)
                record = try #require(record.transitioning(to: .completed, message: nil, at: 2_500))
                record.outcome = .result(["content": []])
                #expect(try await store.write(record, lease: claimed.lease, change: .status, runAfterMs: nil))
                #expect(try await store.task(record.id) == record)
                // Terminal: nothing more is written, even with the right token.
                let late = try #require(claimed.record.transitioning(to: .failed, message: "late", at: 2_600))
                #expect(try await !store.write(late, lease: claimed.lease, change: .status, runAfterMs: nil))
                #expect(try await store.task(record.id)?.status == .completed)
            }
        }

        @Test func writeAfterCancelIsRefused() async throws {
            try await withStore { store, _ in
                let task = makeTask()
                try await store.insert(task, origin: "n")
                let claimed = try #require(
                    try await store.claim(node: "w", limit: 1, nowMs: 2_000, leaseMs: 1_000).first)
                guard
                    case .cancelled(let cancelled) = try await store.cancel(
                        task.id, message: "stop", nowMs: 2_100, origin: "a")
                else { Issue.record("not cancelled"); return }
                #expect(cancelled.status == .cancelled)
                #expect(cancelled.history.last?.status == .cancelled)
                let completed = try #require(claimed.record.transitioning(to: .completed, message: nil, at: 2_200))
                #expect(try await !store.write(completed, lease: claimed.lease, change: .status, runAfterMs: nil))
                #expect(try await store.task(task.id) == cancelled)
                #expect(try await store.renew(node: "w", leases: [claimed.lease], untilMs: 9_000) == [task.id])

                #expect(
                    try await store.cancel(task.id, message: "again", nowMs: 2_300, origin: "a")
                        == .alreadyTerminal(cancelled))
                #expect(try await store.cancel(TaskID.random(), message: "x", nowMs: 2_300, origin: "a") == .notFound)
            }
        }

        @Test func writeAfterTakeoverIsRefused() async throws {
            try await withStore { store, _ in
                let task = makeTask()
                try await store.insert(task, origin: "n")
                let first = try #require(try await store.claim(node: "a", limit: 1, nowMs: 2_000, leaseMs: 1_000).first)
                // The lease has not ended yet: nothing to take back.
                #expect(try await store.reclaimExpiredLeases(nowMs: 2_999, limit: 10, origin: "b") { $0 }.isEmpty)
                let reclaimed = try await store.reclaimExpiredLeases(nowMs: 3_001, limit: 10, origin: "b") { record in
                    record.transitioning(to: .queued, message: "lease lost", at: 3_001) ?? record
                }
                #expect(reclaimed.map(\.status) == [.queued])
                #expect(try await store.task(task.id) == reclaimed.first)
                let second = try #require(
                    try await store.claim(node: "b", limit: 1, nowMs: 3_002, leaseMs: 1_000).first)
                #expect(second.record.attempt == 2)

                let stale = try #require(first.record.transitioning(to: .completed, message: nil, at: 3_100))
                #expect(try await !store.write(stale, lease: first.lease, change: .status, runAfterMs: nil))
                #expect(try await store.renew(node: "a", leases: [first.lease], untilMs: 9_000) == [task.id])
                let fresh = try #require(second.record.transitioning(to: .completed, message: nil, at: 3_200))
                #expect(try await store.write(fresh, lease: second.lease, change: .status, runAfterMs: nil))
                #expect(try await store.task(task.id)?.history.filter { $0.status == .completed }.count == 1)
            }
        }

        @Test func reclaimCanFailTheTaskInstead() async throws {
            try await withStore { store, _ in
                try await store.insert(makeTask(), origin: "n")
                _ = try await store.claim(node: "a", limit: 1, nowMs: 2_000, leaseMs: 1_000)
                let reclaimed = try await store.reclaimExpiredLeases(nowMs: 4_000, limit: 10, origin: "b") { record in
                    record.transitioning(to: .failed, message: "node lost", at: 4_000) ?? record
                }
                #expect(reclaimed.map(\.status) == [.failed])
                #expect(try await store.claim(node: "b", limit: 1, nowMs: 5_000, leaseMs: 1_000).isEmpty)
                #expect(try await store.reclaimExpiredLeases(nowMs: 9_000, limit: 10, origin: "b") { $0 }.isEmpty)
            }
        }

        @Test func renewExtendsLiveLeasesAndReportsLostOnes() async throws {
            try await withStore { store, _ in
                try await store.insert(makeTask(), origin: "n")
                try await store.insert(makeTask(), origin: "n")
                let claimed = try await store.claim(node: "a", limit: 2, nowMs: 2_000, leaseMs: 1_000)
                #expect(claimed.count == 2)
                _ = try await store.cancel(claimed[1].record.id, message: "stop", nowMs: 2_100, origin: "n")
                let unknown = TaskLease(taskID: .random(), fence: 1)
                let lost = try await store.renew(node: "a", leases: claimed.map(\.lease) + [unknown], untilMs: 10_000)
                #expect(lost == [claimed[1].record.id, unknown.taskID])
                // Another node cannot renew a lease it does not hold.
                #expect(
                    try await store.renew(node: "b", leases: [claimed[0].lease], untilMs: 20_000) == [
                        claimed[0].record.id
                    ])
                // Renewed to 10 000: not taken back at 5 000 although the claim's lease ended at 3 000.
                #expect(try await store.reclaimExpiredLeases(nowMs: 5_000, limit: 10, origin: "b") { $0 }.isEmpty)
                #expect(try await store.reclaimExpiredLeases(nowMs: 10_001, limit: 10, origin: "b") { $0 }.count == 1)
                #expect(try await store.renew(node: "a", leases: [], untilMs: 1).isEmpty)
            }
        }
    }
#endif
