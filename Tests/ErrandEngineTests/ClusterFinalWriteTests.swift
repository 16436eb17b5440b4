import ErrandEngine
import ErrandProtocol
import Synchronization
import Testing

/// A ``MemoryClusterStore`` whose fenced writes of a final status fail a given number of times, like a database
/// that drops its connection for a moment.
final class FlakyFinalWriteStore: ClusterStore {
    struct Outage: Error {}
    let base = MemoryClusterStore()
    /// Final writes still to fail.
    let failuresLeft: Mutex<Int>
    let failed = Mutex(0)

    init(failures: Int) { failuresLeft = Mutex(failures) }

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

    func task(_ id: TaskID) async throws -> TaskRecord? { try await base.task(id) }
    func list(_ query: TaskStoreQuery) async throws -> [TaskRecord] { try await base.list(query) }
    func counts() async throws -> [TaskStatus: Int] { try await base.counts() }
    func activeCount(ownerKey: String) async throws -> Int { try await base.activeCount(ownerKey: ownerKey) }
    func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord] {
        try await base.expired(nowMs: nowMs, limit: limit)
    }
    func insert(_ task: TaskRecord, origin: String) async throws { try await base.insert(task, origin: origin) }
    func claim(node: String, limit: Int, nowMs: Int64, leaseMs: Int64) async throws -> [ClaimedTask] {
        try await base.claim(node: node, limit: limit, nowMs: nowMs, leaseMs: leaseMs)
    }
    func cancel(_ id: TaskID, message: String, nowMs: Int64, origin: String) async throws -> ClusterCancelOutcome {
        try await base.cancel(id, message: message, nowMs: nowMs, origin: origin)
    }
    func reclaimExpiredLeases(
        nowMs: Int64, limit: Int, origin: String, decide: @Sendable (TaskRecord) -> TaskRecord
    ) async throws -> [TaskRecord] {
        try await base.reclaimExpiredLeases(nowMs: nowMs, limit: limit, origin: origin, decide: decide)
    }
    func delete(_ ids: [TaskID], origin: String) async throws -> [TaskRecord] {
        try await base.delete(ids, origin: origin)
    }
    func renew(node: String, leases: [TaskLease], untilMs: Int64) async throws -> Set<TaskID> {
        try await base.renew(node: node, leases: leases, untilMs: untilMs)
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
    func signals(node: String) -> AsyncStream<ClusterSignal> { base.signals(node: node) }
}

@Suite struct ClusterFinalWriteTests {
    /// The result must not be lost to a short store outage: the final write is retried (the slot stays taken
    /// meanwhile) until it is stored, and the task completes once, on its first attempt.
    @Test(.timeLimit(.minutes(1))) func aFinalWriteThatFailsIsRetriedUntilStored() async throws {
        let store = FlakyFinalWriteStore(failures: 3)
        let runner = CountingRunner()
        let node = makeNode("a", store: store, runner: runner, slots: 1)
        try await node.start()
        defer { Task { await node.shutdown() } }
        let record = try await node.submit(
            TaskSubmission(kind: .toolCall, target: "noop", arguments: [:], owner: .anonymous))
        let done = try await ended(node, record.id)
        #expect(done.status == .completed)
        #expect(done.attempt == 1)
        #expect(store.failed.withLock { $0 } == 3)
        #expect(runner.runs.withLock { $0[record.id] } == 1)
        #expect(await eventually { await node.statistics().running == 0 }, "the slot was not freed")
    }
}
