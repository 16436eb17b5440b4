import ErrandEngine
import ErrandProtocol
import Testing

/// The ``ClusterStore`` contract, as ``MemoryClusterStore`` keeps it.
@Suite struct ClusterStoreTests {
    @Test func claimTakesHighestPriorityThenOldestAndIssuesGrowingFences() async throws {
        let store = MemoryClusterStore()
        let old = queuedRecord(createdAt: 1_000)
        let young = queuedRecord(createdAt: 2_000)
        let urgent = queuedRecord(priority: 5, createdAt: 3_000)
        for record in [young, old, urgent] { try await store.insert(record, origin: "A") }
        let first = try await store.claim(node: "A", limit: 2, nowMs: 5_000, leaseMs: 100)
        #expect(first.map(\.record.id) == [urgent.id, old.id])
        #expect(first.allSatisfy { $0.record.status == .working && $0.record.attempt == 1 })
        #expect(first[0].record.history.map(\.status) == [.queued, .working])
        let second = try await store.claim(node: "B", limit: 5, nowMs: 5_000, leaseMs: 100)
        #expect(second.map(\.record.id) == [young.id])
        #expect(first[0].lease.fence < first[1].lease.fence && first[1].lease.fence < second[0].lease.fence)
        #expect(store.lease(of: young.id)?.node == "B" && store.lease(of: young.id)?.untilMs == 5_100)
        #expect(try await store.claim(node: "C", limit: 5, nowMs: 5_000, leaseMs: 100).isEmpty)
    }

    @Test func aRetryIsNotClaimedBeforeItsRunAfter() async throws {
        let store = MemoryClusterStore()
        let record = queuedRecord()
        try await store.insert(record, origin: "A")
        let claimed = try #require(try await store.claim(node: "A", limit: 1, nowMs: 2_000, leaseMs: 100).first)
        var retry = claimed.record
        retry.status = .queued
        #expect(try await store.write(retry, lease: claimed.lease, change: .status, runAfterMs: 3_000))
        #expect(store.lease(of: record.id) == nil)
        #expect(try await store.claim(node: "B", limit: 1, nowMs: 2_999, leaseMs: 100).isEmpty)
        let again = try await store.claim(node: "B", limit: 1, nowMs: 3_000, leaseMs: 100)
        #expect(again.first?.record.attempt == 2)
    }

    @Test func aWriteWithoutTheCurrentFenceIsRefusedAndChangesNothing() async throws {
        let store = MemoryClusterStore()
        let record = queuedRecord()
        try await store.insert(record, origin: "A")
        let claimed = try #require(try await store.claim(node: "A", limit: 1, nowMs: 2_000, leaseMs: 100).first)
        var progressed = claimed.record
        progressed.progress = TaskProgress(current: 1)
        let wrong = TaskLease(taskID: record.id, fence: claimed.lease.fence + 1)
        #expect(try await !store.write(progressed, lease: wrong, change: .progress, runAfterMs: nil))
        #expect(try await store.task(record.id) == claimed.record)
        #expect(try await store.write(progressed, lease: claimed.lease, change: .progress, runAfterMs: nil))

        // Taken over after the lease ended: the old attempt's writes are refused.
        let taken = try await store.reclaimExpiredLeases(nowMs: 2_101, limit: 10, origin: "B") { record in
            var next = record
            next.status = .queued
            return next
        }
        #expect(taken.map(\.id) == [record.id])
        let second = try #require(try await store.claim(node: "B", limit: 1, nowMs: 2_101, leaseMs: 100).first)
        var late = progressed
        late.status = .completed
        #expect(try await !store.write(late, lease: claimed.lease, change: .status, runAfterMs: nil))
        #expect(try await store.task(record.id) == second.record)
        #expect(try await store.renew(node: "A", leases: [claimed.lease], untilMs: 9_000) == [record.id])
    }

    @Test func renewExtendsHeldLeasesAndReportsLostOnes() async throws {
        let store = MemoryClusterStore()
        let kept = queuedRecord(createdAt: 1)
        let cancelled = queuedRecord(createdAt: 2)
        for record in [kept, cancelled] { try await store.insert(record, origin: "A") }
        let claimed = try await store.claim(node: "A", limit: 2, nowMs: 100, leaseMs: 50)
        let outcome = try await store.cancel(cancelled.id, message: "stop", nowMs: 120, origin: "B")
        guard case .cancelled(let record) = outcome else {
            Issue.record("expected the cancel to apply, got \(outcome)")
            return
        }
        #expect(record.status == .cancelled && record.statusMessage == "stop")
        let unknown = TaskLease(taskID: TaskID.random(), fence: 99)
        let lost = try await store.renew(node: "A", leases: claimed.map(\.lease) + [unknown], untilMs: 500)
        #expect(lost == [cancelled.id, unknown.taskID])
        #expect(store.lease(of: kept.id)?.untilMs == 500)
        #expect(try await store.renew(node: "B", leases: [claimed[0].lease], untilMs: 600) == [kept.id])
        #expect(
            try await store.cancel(cancelled.id, message: "again", nowMs: 130, origin: "B") == .alreadyTerminal(record))
        #expect(try await store.cancel(TaskID.random(), message: "x", nowMs: 130, origin: "B") == .notFound)
    }

    @Test func reclaimTakesOnlyExpiredLeasesAndStoresWhatDecideReturns() async throws {
        let store = MemoryClusterStore()
        let stale = queuedRecord(createdAt: 1)
        let fresh = queuedRecord(createdAt: 2)
        try await store.insert(stale, origin: "A")
        _ = try await store.claim(node: "A", limit: 1, nowMs: 100, leaseMs: 50)
        try await store.insert(fresh, origin: "A")
        _ = try await store.claim(node: "B", limit: 1, nowMs: 140, leaseMs: 50)
        #expect(try await store.reclaimExpiredLeases(nowMs: 150, limit: 10, origin: "C") { $0 }.isEmpty)
        let taken = try await store.reclaimExpiredLeases(nowMs: 151, limit: 10, origin: "C") { record in
            var failed = record
            failed.status = .failed
            return failed
        }
        #expect(taken.map(\.id) == [stale.id] && taken[0].status == .failed)
        #expect(store.lease(of: stale.id) == nil && store.lease(of: fresh.id)?.node == "B")
        #expect(try await store.task(stale.id)?.status == .failed)
    }

    @Test func deleteRemovesOnlyTerminalTasks() async throws {
        let store = MemoryClusterStore()
        let running = queuedRecord()
        let done = queuedRecord()
        for record in [running, done] { try await store.insert(record, origin: "A") }
        _ = try await store.cancel(done.id, message: "x", nowMs: 5, origin: "A")
        let deleted = try await store.delete([running.id, done.id, TaskID.random()], origin: "A")
        #expect(deleted.map(\.id) == [done.id])
        #expect(try await store.task(done.id) == nil)
        #expect(try await store.task(running.id) != nil)
        await #expect(throws: MemoryClusterStoreError.duplicateID(running.id)) {
            try await store.insert(running, origin: "B")
        }
    }

    @Test func signalsReachEveryOtherNodeInWriteOrderButNeverTheOrigin() async throws {
        let store = MemoryClusterStore()
        let toA = store.signals(node: "A")
        let toB = store.signals(node: "B")
        let record = queuedRecord()
        try await store.insert(record, origin: "A")
        let claimed = try await store.claim(node: "B", limit: 1, nowMs: 2_000, leaseMs: 100)
        var done = claimed[0].record
        done.status = .completed
        #expect(try await store.write(done, lease: claimed[0].lease, change: .status, runAfterMs: nil))
        store.resynchronize()
        store.close()
        let seenByA = await collect(toA)
        let seenByB = await collect(toB)
        #expect(
            seenByA == [
                .changed(record.id, .status, status: .working), .changed(record.id, .status, status: .completed),
                .resynchronize,
            ])
        #expect(seenByB == [.changed(record.id, .created, status: .queued), .wake, .resynchronize])
    }

    @Test func inputRequestsAreAnsweredOnceAndDroppedWithTheirAttempt() async throws {
        let store = MemoryClusterStore()
        let record = queuedRecord()
        try await store.insert(record, origin: "A")
        let claimed = try #require(try await store.claim(node: "A", limit: 1, nowMs: 2_000, leaseMs: 100).first)
        var asking = claimed.record
        asking.status = .inputRequired
        let stale = TaskLease(taskID: record.id, fence: 0)
        #expect(try await !store.openInputRequest(asking, lease: stale, requestID: "r0", request: "q"))
        #expect(try await store.openInputRequest(asking, lease: claimed.lease, requestID: "r1", request: "q"))
        #expect(try await store.openInputRequest(asking, lease: claimed.lease, requestID: "r2", request: "q2"))
        #expect(try await store.inputRequest(taskID: record.id, requestID: "r1") == "q")
        #expect(try await store.takeInputAnswer(taskID: record.id, requestID: "r1") == nil)
        #expect(try await store.answerInputRequest(taskID: record.id, requestID: "r1", response: "a", origin: "B"))
        #expect(try await !store.answerInputRequest(taskID: record.id, requestID: "r1", response: "b", origin: "B"))
        #expect(try await !store.answerInputRequest(taskID: record.id, requestID: "nope", response: "b", origin: "B"))
        #expect(try await store.inputRequest(taskID: record.id, requestID: "r1") == nil)
        #expect(try await store.takeInputAnswer(taskID: record.id, requestID: "r1") == "a")
        #expect(try await store.takeInputAnswer(taskID: record.id, requestID: "r1") == nil)
        _ = try await store.cancel(record.id, message: "x", nowMs: 2_050, origin: "B")
        #expect(try await store.inputRequest(taskID: record.id, requestID: "r2") == nil)
        #expect(try await !store.answerInputRequest(taskID: record.id, requestID: "r2", response: "c", origin: "B"))
    }
}
