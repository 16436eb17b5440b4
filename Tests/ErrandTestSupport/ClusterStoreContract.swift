public import ErrandEngine
import ErrandProtocol
import Synchronization
import Testing

/// The ``ClusterStore`` contract: cases every store must pass, each on a fresh, empty store. Each store's test
/// target runs every case (`@Test(arguments: ClusterStoreContract.allCases)`) on its own store; the cases use
/// only the protocol, so they say what the engine may rely on whatever the store.
public enum ClusterStoreContract: String, CaseIterable, Sendable {
    case claimTakesHighestPriorityThenOldestAndIssuesGrowingFences
    case aRetryIsNotClaimedBeforeItsRunAfter
    case aWriteWithoutTheCurrentFenceIsRefusedAndChangesNothing
    case renewExtendsHeldLeasesAndReportsLostOnes
    case reclaimTakesOnlyExpiredLeasesAndStoresWhatDecideReturns
    case deleteRemovesOnlyTerminalTasks
    case signalsReachEveryOtherNodeInWriteOrderButNeverTheOrigin
    case inputRequestsAreAnsweredOnceAndDroppedWithTheirAttempt
    case aNewTaskStartsAtOnceOnlyWhenNothingRunnableWaits
    case aClaimTellsWhetherQueuedTasksRemain

    /// Runs the case on `store`, which must be empty.
    public func run(on store: any ClusterStore) async throws {
        switch self {
        case .claimTakesHighestPriorityThenOldestAndIssuesGrowingFences: try await Self.claimOrder(store)
        case .aRetryIsNotClaimedBeforeItsRunAfter: try await Self.retryWaits(store)
        case .aWriteWithoutTheCurrentFenceIsRefusedAndChangesNothing: try await Self.fencedWrites(store)
        case .renewExtendsHeldLeasesAndReportsLostOnes: try await Self.renewal(store)
        case .reclaimTakesOnlyExpiredLeasesAndStoresWhatDecideReturns: try await Self.reclaim(store)
        case .deleteRemovesOnlyTerminalTasks: try await Self.deletion(store)
        case .signalsReachEveryOtherNodeInWriteOrderButNeverTheOrigin: try await Self.signals(store)
        case .inputRequestsAreAnsweredOnceAndDroppedWithTheirAttempt: try await Self.inputRequests(store)
        case .aNewTaskStartsAtOnceOnlyWhenNothingRunnableWaits: try await Self.immediateStart(store)
        case .aClaimTellsWhetherQueuedTasksRemain: try await Self.queueAfterClaim(store)
        }
    }

    /// The lease on the (only) task with `target`, as ``ClusterStore/leaseHoldings()`` reports it.
    static func lease(_ store: any ClusterStore, target: String) async throws -> LeaseHolding? {
        try await store.leaseHoldings().first { $0.target == target }
    }

    static func claimOrder(_ store: any ClusterStore) async throws {
        let old = queuedRecord(createdAt: 1_000, target: "old")
        let young = queuedRecord(createdAt: 2_000, target: "young")
        let urgent = queuedRecord(priority: 5, createdAt: 3_000, target: "urgent")
        for record in [young, old, urgent] { try await store.insert(record, origin: "A") }
        let first = try await store.claim(node: "A", limit: 2, nowMs: 5_000, leaseMs: 100)
        #expect(first.map(\.record.id) == [urgent.id, old.id])
        #expect(first.allSatisfy { $0.record.status == .working && $0.record.attempt == 1 })
        #expect(first.first?.record.history.map(\.status) == [.queued, .working])
        let second = try await store.claim(node: "B", limit: 5, nowMs: 5_000, leaseMs: 100)
        #expect(second.map(\.record.id) == [young.id])
        let fences = (first + second).map(\.lease.fence)
        #expect(fences == fences.sorted() && Set(fences).count == 3, "\(fences)")
        let held = try await lease(store, target: "young")
        #expect(held?.node == "B" && held?.earliestUntilMs == 5_100, "\(String(describing: held))")
        #expect(try await store.task(young.id) == second.first?.record)
        #expect(try await store.claim(node: "C", limit: 5, nowMs: 5_000, leaseMs: 100).isEmpty)
    }

    static func retryWaits(_ store: any ClusterStore) async throws {
        let record = queuedRecord()
        try await store.insert(record, origin: "A")
        let claimed = try #require(try await store.claim(node: "A", limit: 1, nowMs: 2_000, leaseMs: 100).first)
        var retry = claimed.record
        retry.status = .queued
        #expect(try await store.write(retry, lease: claimed.lease, change: .status, runAfterMs: 3_000))
        #expect(try await store.leaseHoldings().isEmpty)
        #expect(try await store.claim(node: "B", limit: 1, nowMs: 2_999, leaseMs: 100).isEmpty)
        let again = try await store.claim(node: "B", limit: 1, nowMs: 3_000, leaseMs: 100)
        #expect(again.first?.record.attempt == 2)
    }

    static func fencedWrites(_ store: any ClusterStore) async throws {
        let record = queuedRecord()
        try await store.insert(record, origin: "A")
        let claimed = try #require(try await store.claim(node: "A", limit: 1, nowMs: 2_000, leaseMs: 100).first)
        var progressed = claimed.record
        progressed.progress = TaskProgress(current: 1)
        let wrong = TaskLease(taskID: record.id, fence: claimed.lease.fence + 1)
        #expect(try await !store.write(progressed, lease: wrong, change: .progress, runAfterMs: nil))
        #expect(try await store.task(record.id) == claimed.record)
        #expect(try await store.write(progressed, lease: claimed.lease, change: .progress, runAfterMs: nil))
        #expect(try await store.task(record.id) == progressed)

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

    static func renewal(_ store: any ClusterStore) async throws {
        let kept = queuedRecord(createdAt: 1, target: "kept")
        let cancelled = queuedRecord(createdAt: 2, target: "cancelled")
        for record in [kept, cancelled] { try await store.insert(record, origin: "A") }
        let claimed = try await store.claim(node: "A", limit: 2, nowMs: 100, leaseMs: 50)
        #expect(claimed.map(\.record.id) == [kept.id, cancelled.id])
        let outcome = try await store.cancel(cancelled.id, message: "stop", nowMs: 120, origin: "B")
        guard case .cancelled(let record) = outcome else {
            Issue.record("expected the cancel to apply, got \(outcome)")
            return
        }
        #expect(record.status == .cancelled && record.statusMessage == "stop")
        #expect(try await store.task(cancelled.id) == record)
        let unknown = TaskLease(taskID: TaskID.random(), fence: 99)
        let lost = try await store.renew(node: "A", leases: claimed.map(\.lease) + [unknown], untilMs: 500)
        #expect(lost == [cancelled.id, unknown.taskID])
        let held = try await lease(store, target: "kept")
        #expect(held?.node == "A" && held?.latestUntilMs == 500, "\(String(describing: held))")
        #expect(try await store.renew(node: "B", leases: [claimed[0].lease], untilMs: 600) == [kept.id])
        #expect(try await lease(store, target: "kept")?.latestUntilMs == 500)
        #expect(
            try await store.cancel(cancelled.id, message: "again", nowMs: 130, origin: "B") == .alreadyTerminal(record))
        #expect(try await store.cancel(TaskID.random(), message: "x", nowMs: 130, origin: "B") == .notFound)
    }

    static func reclaim(_ store: any ClusterStore) async throws {
        let stale = queuedRecord(createdAt: 1, target: "stale")
        let fresh = queuedRecord(createdAt: 2, target: "fresh")
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
        #expect(taken.map(\.id) == [stale.id] && taken.first?.status == .failed)
        #expect(try await lease(store, target: "stale") == nil)
        #expect(try await lease(store, target: "fresh")?.node == "B")
        #expect(try await store.task(stale.id)?.status == .failed)
    }

    static func deletion(_ store: any ClusterStore) async throws {
        let running = queuedRecord()
        let done = queuedRecord()
        for record in [running, done] { try await store.insert(record, origin: "A") }
        _ = try await store.cancel(done.id, message: "x", nowMs: 5, origin: "A")
        let deleted = try await store.delete([running.id, done.id, TaskID.random()], origin: "A")
        #expect(deleted.map(\.id) == [done.id])
        #expect(try await store.task(done.id) == nil)
        #expect(try await store.task(running.id) != nil)
        await #expect(throws: (any Error).self) { try await store.insert(running, origin: "B") }
    }

    static func signals(_ store: any ClusterStore) async throws {
        let toA = SignalCollector(store.signals(node: "A"))
        let toB = SignalCollector(store.signals(node: "B"))
        defer {
            toA.stop()
            toB.stop()
        }
        let record = queuedRecord()
        try await store.insert(record, origin: "A")
        let claimed = try await store.claim(node: "B", limit: 1, nowMs: 2_000, leaseMs: 100)
        var done = try #require(claimed.first).record
        done.status = .completed
        #expect(try await store.write(done, lease: claimed[0].lease, change: .status, runAfterMs: nil))
        // A last change by a third node, which both hear of: what came before it is all they get of the above.
        let marker = queuedRecord()
        try await store.insert(marker, origin: "C")
        let seenByA = try await toA.signals(before: .changed(marker.id, .created, status: .queued))
        let seenByB = try await toB.signals(before: .changed(marker.id, .created, status: .queued))
        #expect(
            seenByA == [
                .changed(record.id, .status, status: .working), .changed(record.id, .status, status: .completed),
            ])
        #expect(seenByB == [.changed(record.id, .created, status: .queued), .wake])
    }

    static func inputRequests(_ store: any ClusterStore) async throws {
        let record = queuedRecord()
        try await store.insert(record, origin: "A")
        let claimed = try #require(try await store.claim(node: "A", limit: 1, nowMs: 2_000, leaseMs: 100).first)
        var asking = claimed.record
        asking.status = .inputRequired
        let stale = TaskLease(taskID: record.id, fence: 0)
        #expect(try await !store.openInputRequest(asking, lease: stale, requestID: "r0", request: "q"))
        #expect(try await store.openInputRequest(asking, lease: claimed.lease, requestID: "r1", request: "q"))
        #expect(try await store.openInputRequest(asking, lease: claimed.lease, requestID: "r2", request: "q2"))
        #expect(try await store.task(record.id)?.status == .inputRequired)
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

extension ClusterStoreContract {
    static func immediateStart(_ store: any ClusterStore) async throws {
        let toB = SignalCollector(store.signals(node: "B"))
        defer { toB.stop() }
        let start = ImmediateStart(node: "A", nowMs: 2_000, leaseMs: 100)
        // Nothing waits: stored claimed by A, as a claim would store it, with a fence above every earlier one.
        let earlier = queuedRecord(target: "earlier")
        try await store.insert(earlier, origin: "A")
        let claimedEarlier = try #require(try await store.claim(node: "A", limit: 1, nowMs: 2_000, leaseMs: 100).first)
        let record = queuedRecord(target: "now")
        let outcome = try await store.insert(record, origin: "A", ownerLimit: 10, start: start)
        guard case .started(let started) = outcome else {
            Issue.record("expected the task to start at once, got \(outcome)")
            return
        }
        #expect(started.record == record.startingNextAttempt(at: 2_000))
        #expect(started.lease.fence > claimedEarlier.lease.fence)
        #expect(try await store.task(record.id) == started.record)
        let held = try await lease(store, target: "now")
        #expect(held?.node == "A" && held?.earliestUntilMs == 2_100, "\(String(describing: held))")
        #expect(try await store.claim(node: "C", limit: 5, nowMs: 2_000, leaseMs: 100).isEmpty)
        var done = started.record
        done.status = .completed
        #expect(try await store.write(done, lease: started.lease, change: .status, runAfterMs: nil))
        // A runnable task waits: the new one queues behind it (and the owner limit still applies).
        let waiting = queuedRecord(target: "waiting")
        try await store.insert(waiting, origin: "A")
        let behind = queuedRecord(target: "behind")
        #expect(try await store.insert(behind, origin: "A", ownerLimit: 10, start: start) == .inserted)
        #expect(try await store.task(behind.id)?.status == .queued)
        let refused = queuedRecord(target: "refused")
        #expect(
            try await store.insert(refused, origin: "A", ownerLimit: 1, start: start) == .ownerAtLimit(active: 3))
        // Unless the node has a free slot for each runnable task as well: starting this one delays none of them.
        var roomy = start
        roomy.spareSlots = 2
        let spared = queuedRecord(target: "spared")
        let sparedOutcome = try await store.insert(spared, origin: "A", ownerLimit: 10, start: roomy)
        #expect(sparedOutcome.startedRecord == spared.startingNextAttempt(at: 2_000), "\(sparedOutcome)")
        var tight = start
        tight.spareSlots = 1
        let crowded = queuedRecord(target: "crowded")
        #expect(try await store.insert(crowded, origin: "A", ownerLimit: 10, start: tight) == .inserted)
        // An owner limited to N concurrent tasks starts at once only while it has fewer than N unfinished ones:
        // here 5 (`earlier`, `waiting`, `behind`, `spared`, `crowded`), then 6.
        var roomier = start
        roomier.spareSlots = 4
        roomier.ownerConcurrentTasks = 5
        #expect(try await store.insert(queuedRecord(), origin: "A", ownerLimit: 10, start: roomier) == .inserted)
        roomier.ownerConcurrentTasks = 7
        let within = queuedRecord(target: "within")
        let withinOutcome = try await store.insert(within, origin: "A", ownerLimit: 10, start: roomier)
        #expect(withinOutcome.startedRecord == within.startingNextAttempt(at: 2_000), "\(withinOutcome)")
        // B heard of the started task's creation as working, and of no wake for it.
        let marker = queuedRecord()
        try await store.insert(marker, origin: "C")
        let seen = try await toB.signals(before: .changed(marker.id, .created, status: .queued))
        #expect(seen.contains(.changed(record.id, .created, status: .working)))
        let afterStart = seen.drop { $0 != .changed(record.id, .created, status: .working) }.dropFirst()
        #expect(afterStart.first != .wake, "\(seen)")
    }
}

extension ClusterInsertOutcome {
    /// The task as stored, when it started at once.
    var startedRecord: TaskRecord? {
        guard case .started(let claimed) = self else { return nil }
        return claimed.record
    }
}

extension ClusterStoreContract {
    static func queueAfterClaim(_ store: any ClusterStore) async throws {
        func claim(_ limit: Int) async throws -> ClaimBatch {
            try await store.claimBatch(node: "A", limit: limit, nowMs: 2_000, leaseMs: 100)
        }
        // Nothing queued at all.
        #expect(try await claim(4) == ClaimBatch(tasks: [], queuedRemain: false))
        // Three queued, two claimed: one remains; then the last one is claimed and none remains.
        for index in 0..<3 { try await store.insert(queuedRecord(createdAt: 1_000 + Int64(index)), origin: "A") }
        let firstTwo = try await claim(2)
        #expect(firstTwo.tasks.count == 2 && firstTwo.queuedRemain)
        let last = try await claim(4)
        #expect(last.tasks.count == 1 && !last.queuedRemain)
        // Queued but not runnable: an owner at its concurrentTasks, or a retry waiting out its backoff. None is
        // claimed, and they remain.
        let busy = TaskOwner(principal: "busy")
        try await store.setOwnerLimits(OwnerLimits(concurrentTasks: 1), ownerKey: busy.quotaKey)
        try await store.insert(queuedRecord(owner: busy), origin: "A")
        #expect(try await claim(4).tasks.count == 1)
        try await store.insert(queuedRecord(owner: busy), origin: "A")
        #expect(try await claim(4) == ClaimBatch(tasks: [], queuedRemain: true))
        // A node that asks for nothing claims nothing and assumes work may remain.
        #expect(try await claim(0) == ClaimBatch(tasks: [], queuedRemain: true))
    }
}

/// A queued task as ``ClusterEngine/submit(_:)`` stores it, for store tests.
public func queuedRecord(
    priority: Int = 0, createdAt: Int64 = 1_000, owner: TaskOwner = .anonymous, target: String = "t"
) -> TaskRecord {
    TaskRecord(
        id: TaskID.random(), owner: owner, kind: .toolCall, target: target, arguments: [:], status: .queued,
        createdAt: createdAt, lastUpdatedAt: createdAt, ttlMs: 10_000, pollIntervalMs: 500, priority: priority,
        history: [TaskHistoryEntry(at: createdAt, status: .queued, message: nil, attempt: 0)])
}

/// Collects one node's signals as they arrive, so a test can wait for one.
final class SignalCollector: Sendable {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    private final class Received: Sendable {
        let signals = Mutex<[ClusterSignal]>([])
    }

    private let received = Received()
    private let task: Task<Void, Never>

    init(_ stream: AsyncStream<ClusterSignal>) {
        let received = self.received
        task = Task { for await signal in stream { received.signals.withLock { $0.append(signal) } } }
    }

    func stop() { task.cancel() }

    /// The signals received before `last`, once it has arrived (waiting up to 10 s: a generous bound for a
    /// database's notifications, not a latency check).
    func signals(before last: ClusterSignal) async throws -> [ClusterSignal] {
        for _ in 0..<1_000 {
            let all = received.signals.withLock { $0 }
            if let end = all.firstIndex(of: last) { return Array(all[..<end]) }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw Missing(description: "\(last) did not arrive; received \(received.signals.withLock { $0 })")
    }
}
