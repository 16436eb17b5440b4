import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

/// A ``MemoryClusterStore`` with faults: fenced writes of a final status fail a given number of times, like a
/// database that drops its connection for a moment; the signals of one node can be held back until released.
final class FaultyClusterStore: ClusterStore {
    struct Outage: Error {}
    let base = MemoryClusterStore()
    /// Final writes still to fail.
    let failuresLeft: Mutex<Int>
    let failed = Mutex(0)
    /// Lease renewals still to fail.
    let renewalsToFail = Mutex(0)
    /// Takeover rounds still to fail.
    let reclaimsToFail = Mutex(0)
    /// Runs before the next renewal reaches the store (once), e.g. to move the clock as a queued renewal would.
    let beforeRenewal = Mutex<(@Sendable () -> Void)?>(nil)
    /// Runs before the next heartbeat reaches the store (once).
    let beforeHeartbeat = Mutex<(@Sendable () -> Void)?>(nil)
    /// Heartbeats that reached the store.
    let heartbeatsWritten = Counter()
    /// Claims that reached the store.
    let claims = Counter()
    /// The node whose signals wait for ``signalGate``, if any.
    let heldNode: String?
    let signalGate = Gate()

    init(failures: Int = 0, holdingSignalsOf heldNode: String? = nil) {
        failuresLeft = Mutex(failures)
        self.heldNode = heldNode
        if heldNode == nil { signalGate.open() }
    }

    func write(_ record: TaskRecord, lease: TaskLease, change: ClusterChange, runAfterMs: Int64?) async throws -> Bool {
        if record.status.isTerminal {
            let fail = failuresLeft.withLock { left in
                guard left > 0 else { return false }
                left -= 1
                return true
            }
            if fail {
                failed.withLock { $0 += 1 }
                throw Outage()
            }
        }
        return try await base.write(record, lease: lease, change: change, runAfterMs: runAfterMs)
    }

    /// While set, reading tasks fails (counted in ``failedReads``).
    let failingReads = Atomic<Bool>(false)
    let failedReads = Counter()

    func task(_ id: TaskID) async throws -> TaskRecord? {
        if failingReads.load(ordering: .relaxed) {
            failedReads.increment()
            throw Outage()
        }
        return try await base.task(id)
    }
    func list(_ query: TaskStoreQuery) async throws -> [TaskRecord] { try await base.list(query) }
    /// Count reads that reached the store.
    let countReads = Counter()
    /// While closed, count reads wait for it (``holdingCounts``).
    let countsGate = Gate()
    let holdingCounts = Atomic<Bool>(false)

    func counts() async throws -> [TaskStatus: Int] {
        countReads.increment()
        if holdingCounts.load(ordering: .relaxed) { await countsGate.wait() }
        return try await base.counts()
    }
    func activeCount(ownerKey: String) async throws -> Int { try await base.activeCount(ownerKey: ownerKey) }
    func queuedCount(ownerKey: String) async throws -> Int { try await base.queuedCount(ownerKey: ownerKey) }
    func setOwnerLimits(_ limits: OwnerLimits, ownerKey: String) async throws {
        try await base.setOwnerLimits(limits, ownerKey: ownerKey)
    }
    func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord] {
        try await base.expired(nowMs: nowMs, limit: limit)
    }
    func insert(_ task: TaskRecord, origin: String, ownerLimit: Int, start: ImmediateStart?) async throws
        -> ClusterInsertOutcome
    {
        try await base.insert(task, origin: origin, ownerLimit: ownerLimit, start: start)
    }
    func claim(node: String, limit: Int, nowMs: Int64, leaseMs: Int64) async throws -> [ClaimedTask] {
        try await claimBatch(node: node, limit: limit, nowMs: nowMs, leaseMs: leaseMs).tasks
    }
    func claimBatch(node: String, limit: Int, nowMs: Int64, leaseMs: Int64) async throws -> ClaimBatch {
        claims.increment()
        return try await base.claimBatch(node: node, limit: limit, nowMs: nowMs, leaseMs: leaseMs)
    }
    func cancel(_ id: TaskID, message: String, nowMs: Int64, origin: String) async throws -> ClusterCancelOutcome {
        try await base.cancel(id, message: message, nowMs: nowMs, origin: origin)
    }
    func reclaimExpiredLeases(
        nowMs: Int64, limit: Int, origin: String, decide: @Sendable (TaskRecord) -> TaskRecord
    ) async throws -> [TaskRecord] {
        let fail = reclaimsToFail.withLock { left in
            defer { left = max(0, left - 1) }
            return left > 0
        }
        if fail { throw Outage() }
        return try await base.reclaimExpiredLeases(nowMs: nowMs, limit: limit, origin: origin, decide: decide)
    }
    func delete(_ ids: [TaskID], origin: String) async throws -> [TaskRecord] {
        try await base.delete(ids, origin: origin)
    }
    func recordHeartbeat(_ heartbeat: NodeHeartbeat) async throws {
        beforeHeartbeat.withLock { hook in
            defer { hook = nil }
            return hook
        }?()
        heartbeatsWritten.increment()
        try await base.recordHeartbeat(heartbeat)
    }
    func heartbeats(seenAfterMs: Int64) async throws -> [NodeHeartbeat] {
        try await base.heartbeats(seenAfterMs: seenAfterMs)
    }
    func removeHeartbeat(node: String) async throws { try await base.removeHeartbeat(node: node) }
    func renew(node: String, leases: [TaskLease], untilMs: Int64) async throws -> Set<TaskID> {
        let fail = renewalsToFail.withLock { left in
            defer { left = max(0, left - 1) }
            return left > 0
        }
        if fail { throw Outage() }
        beforeRenewal.withLock { hook in
            defer { hook = nil }
            return hook
        }?()
        return try await base.renew(node: node, leases: leases, untilMs: untilMs)
    }
    func openInputRequest(_ record: TaskRecord, lease: TaskLease, requestID: String, request: JSONValue)
        async throws -> Bool
    {
        try await base.openInputRequest(record, lease: lease, requestID: requestID, request: request)
    }
    func inputRequest(taskID: TaskID, requestID: String) async throws -> JSONValue? {
        try await base.inputRequest(taskID: taskID, requestID: requestID)
    }
    func answerInputRequest(taskID: TaskID, requestID: String, response: JSONValue, origin: String)
        async throws -> Bool
    {
        try await base.answerInputRequest(taskID: taskID, requestID: requestID, response: response, origin: origin)
    }
    func takeInputAnswer(taskID: TaskID, requestID: String) async throws -> JSONValue? {
        try await base.takeInputAnswer(taskID: taskID, requestID: requestID)
    }
    func signals(node: String) -> AsyncStream<ClusterSignal> {
        let source = base.signals(node: node)
        guard node == heldNode else { return source }
        let (stream, continuation) = AsyncStream.makeStream(of: ClusterSignal.self)
        let gate = signalGate
        Task {
            for await signal in source {
                await gate.wait()
                continuation.yield(signal)
            }
            continuation.finish()
        }
        return stream
    }
}

@Suite struct ClusterFinalWriteTests {
    /// The result must not be lost to a short store outage: the final write is retried (the slot stays taken
    /// meanwhile) until it is stored, and the task completes once, on its first attempt.
    @Test(.timeLimit(.minutes(1))) func aFinalWriteThatFailsIsRetriedUntilStored() async throws {
        let store = FaultyClusterStore(failures: 3)
        let runner = CountingRunner()
        let timerClock = ManualTimerClock()
        let node = makeNode("a", store: store, runner: runner, slots: 1, timerClock: timerClock)
        try await node.start()
        defer { Task { await node.shutdown() } }
        let log = EventLog(node.events)
        defer { log.subscription.cancel() }
        let record = try await node.submit(
            TaskSubmission(kind: .toolCall, target: "noop", arguments: [:], owner: .anonymous))
        // Each failed write waits out its backoff (100, 200, 400 ms) with the slot still taken and nothing announced.
        for (failures, backoff) in [(1, Duration.milliseconds(100)), (2, .milliseconds(200)), (3, .milliseconds(400))] {
            try await timerClock.sleeping(dueWithin: backoff)
            #expect(timerClock.pendingDelays.first == backoff)
            #expect(store.failed.withLock { $0 } == failures)
            #expect(await node.statistics().running == 1)
            #expect(!log.all.contains { $0.task.id == record.id && $0.task.status.isTerminal })
            timerClock.advance(by: backoff)
        }
        let done = try await ended(node, record.id)
        #expect(done.status == .completed)
        #expect(done.attempt == 1)
        #expect(store.failed.withLock { $0 } == 3)
        #expect(runner.runs.withLock { $0[record.id] } == 1)
        #expect(await eventually { await node.statistics().running == 0 }, "the slot was not freed")
    }
}

/// Reports one progress step, then waits until the test lets it finish.
final class ProgressThenWaitRunner: TaskRunner {
    let reported = Counter()
    let finish = Gate()
    func policy(for task: TaskRecord) -> TaskPolicy { .default }
    func run(_ task: TaskRecord, context: TaskContext) async -> TaskRunResult {
        await context.reportProgress(TaskProgress(current: 1, total: 2, message: "half way"))
        reported.increment()
        await finish.wait()
        return TaskRunResult(outcome: .result(["ok": true]), status: .completed)
    }
}

@Suite struct ClusterRemoteProgressTests {
    /// Node A learns of the claim only after the worker already stored progress: reading the task for the claim's
    /// signal shows both changes at once. A must still publish the progress (MCP clients get
    /// `notifications/progress` only from progress events), not fold it into the status event.
    @Test(.timeLimit(.minutes(1))) func progressStoredWithAStatusChangeIsStillPublished() async throws {
        let store = FaultyClusterStore(holdingSignalsOf: "a")
        let runner = ProgressThenWaitRunner()
        let front = makeNode("a", store: store, slots: 0)
        let worker = makeNode("w", store: store, runner: runner, slots: 1)
        try await front.start()
        try await worker.start()
        let log = EventLog(front.events)
        defer { log.subscription.cancel() }
        let record = try await front.submit(
            TaskSubmission(kind: .toolCall, target: "steps", arguments: [:], owner: .anonymous))
        await runner.reported.wait(for: 1)
        #expect(try await store.base.task(record.id)?.progress?.current == 1)
        store.signalGate.open()  // A now sees the claim and the progress, both already stored
        #expect(await eventually { log.changes(for: record.id).contains(.progress) }, "\(log.changes(for: record.id))")
        #expect(log.changes(for: record.id) == [.created, .status, .progress])
        runner.finish.open()
        #expect(try await ended(front, record.id).status == .completed)
        await worker.shutdown()
        await front.shutdown()
    }
}
