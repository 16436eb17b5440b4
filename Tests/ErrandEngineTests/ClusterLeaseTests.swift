import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

/// Leases, takeover, retries, exclusivity, quota and shutdown across ``ClusterEngine`` nodes.
@Suite struct ClusterLeaseTests {
    @Test func aStoppedNodesTaskIsQueuedAgainAndRerunByTheSurvivor() async throws {
        let store = MemoryClusterStore()
        let clock = ManualClock()
        let policies = ["sleep": TaskPolicy(maxAttempts: 2)]
        let runnerA = ScriptedRunner(policies: policies)
        let runnerB = ScriptedRunner(policies: policies)
        let dying = makeNode("A", store: store, runner: runnerA, clock: clock)
        let survivor = makeNode("B", store: store, runner: runnerB, slots: 0, clock: clock)
        try await dying.start()
        try await survivor.start()
        let record = try await dying.submit(submission("sleep"))
        await runnerA.started.wait(for: 1)
        await dying.shutdown()
        // Its failure was not written: the task is still A's until the lease ends.
        #expect(try await survivor.task(record.id, for: .anonymous).status == .working)
        #expect(await survivor.reclaimExpiredLeases().isEmpty)
        clock.advance(byMs: 60_001)
        let taken = await survivor.reclaimExpiredLeases()
        #expect(taken.map(\.id) == [record.id])
        #expect(taken.first?.status == .queued)
        #expect(taken.first?.statusMessage == "lease expired: the node running attempt 1 stopped; queued again")

        // A new node with slots claims the task as its second attempt.
        let replacement = makeNode("C", store: store, runner: runnerB, clock: clock)
        try await replacement.start()
        await runnerB.started.wait(for: 1)
        let running = try await replacement.task(record.id, for: .anonymous)
        #expect(running.status == .working && running.attempt == 2)
        #expect(running.history.map(\.status) == [.queued, .working, .queued, .working])
        #expect(store.lease(of: record.id)?.node == "C")
        await replacement.shutdown()
        await survivor.shutdown()
    }

    @Test func aStoppedNodesTaskFailsWhenNoAttemptIsLeft() async throws {
        let store = MemoryClusterStore()
        let clock = ManualClock()
        let runner = ScriptedRunner()
        let dying = makeNode("A", store: store, runner: runner, clock: clock)
        let survivor = makeNode("B", store: store, slots: 0, clock: clock)
        try await dying.start()
        try await survivor.start()
        let record = try await dying.submit(submission("sleep"))
        await runner.started.wait(for: 1)
        await dying.shutdown()
        let waiting = Task { try await survivor.waitForTerminal(record.id, for: .anonymous) }
        clock.advance(byMs: 60_001)
        _ = await survivor.reclaimExpiredLeases()
        let failed = try await waiting.value
        #expect(failed.status == .failed)
        #expect(failed.statusMessage == "The node running the task stopped (its lease expired)")
        #expect(failed.outcome == .error(.internalError("The node running the task stopped (its lease expired)")))
        await survivor.shutdown()
    }

    @Test func aNodeThatStalledPastItsLeaseStopsItsAttemptAndItsResultIsDiscarded() async throws {
        let store = MemoryClusterStore()
        let clock = ManualClock()
        let runnerA = ScriptedRunner()
        let stalled = makeNode("A", store: store, runner: runnerA, clock: clock)
        let other = makeNode("B", store: store, slots: 0, clock: clock)
        try await stalled.start()
        try await other.start()
        let record = try await stalled.submit(submission("stubborn"))
        await runnerA.started.wait(for: 1)
        store.dropSignals(to: "A")
        clock.advance(byMs: 60_001)
        #expect(await other.reclaimExpiredLeases().first?.status == .failed)
        await stalled.renewLeases()  // the store reports the lease lost: the attempt stops
        runnerA.gate.open()
        #expect(await eventually { await stalled.statistics().running == 0 })
        let stored = try await other.task(record.id, for: .anonymous)
        #expect(stored.status == .failed && stored.outcome != .result(["late": true]))
        await stalled.shutdown()
        await other.shutdown()
    }

    @Test func renewingKeepsTheLeaseAlive() async throws {
        let store = MemoryClusterStore()
        let clock = ManualClock()
        let runner = ScriptedRunner()
        let node = makeNode("A", store: store, runner: runner, clock: clock)
        let other = makeNode("B", store: store, slots: 0, clock: clock)
        try await node.start()
        try await other.start()
        let record = try await node.submit(submission("gate"))
        clock.advance(byMs: 40_000)
        await node.renewLeases()
        clock.advance(byMs: 40_000)
        #expect(await other.reclaimExpiredLeases().isEmpty)
        #expect(store.lease(of: record.id)?.untilMs == clock.nowMs() - 40_000 + 60_000)
        runner.gate.open()
        #expect(try await ended(node, record.id).status == .completed)
        await node.shutdown()
        await other.shutdown()
    }

    @Test func threeNodesRacingForTwoHundredTasksRunEachExactlyOnce() async throws {
        let store = MemoryClusterStore()
        let runner = CountingRunner()
        let nodes = ["A", "B", "C"].map { makeNode($0, store: store, runner: runner, slots: 3) }
        let serve = makeNode("D", store: store, runner: runner, slots: 0)
        for node in nodes + [serve] { try await node.start() }
        let submitters = nodes + [serve]
        let ids = try await withThrowingTaskGroup(of: TaskID.self) { group in
            for index in 0..<200 {
                let node = submitters[index % submitters.count]
                group.addTask { try await node.submit(submission("count")).id }
            }
            return try await group.reduce(into: [TaskID]()) { $0.append($1) }
        }
        for id in ids {
            let done = try await ended(serve, id)
            #expect(done.status == .completed && done.attempt == 1)
            #expect(done.history.filter { $0.status == .completed }.count == 1)
            #expect(done.history.map(\.status) == [.queued, .working, .completed])
        }
        let runs = runner.runs.withLock { $0 }
        #expect(runs.count == 200 && runs.values.allSatisfy { $0 == 1 })
        #expect(Set(ids) == Set(runs.keys))
        for node in nodes + [serve] { await node.shutdown() }
    }

    @Test func aFailedAttemptIsRetriedAfterItsBackoff() async throws {
        let store = MemoryClusterStore()
        let policy = TaskPolicy(maxAttempts: 3, baseBackoff: .milliseconds(1), maxBackoff: .milliseconds(4))
        let runner = ScriptedRunner(policies: ["flaky": policy], flakyAttempts: 3)
        let serve = makeNode("A", store: store, runner: runner, slots: 0, clock: SystemEngineClock())
        let workers = ["B", "C"].map {
            makeNode($0, store: store, runner: runner, slots: 1, clock: SystemEngineClock())
        }
        for node in [serve] + workers { try await node.start() }
        let record = try await serve.submit(submission("flaky"))
        let done = try await ended(serve, record.id)
        #expect(done.status == .completed && done.attempt == 3)
        #expect(done.outcome == .result(["attempt": 3]))
        #expect(done.history.map(\.status) == [.queued, .working, .queued, .working, .queued, .working, .completed])
        #expect(done.history[2].message?.hasPrefix("attempt 1 of 3 failed: flake 1; retrying in") == true)
        #expect(runner.started.value == 3)
        for node in [serve] + workers { await node.shutdown() }
    }

    @Test(.timeLimit(.minutes(1))) func aPolicyTimeoutFailsTheTask() async throws {
        let store = MemoryClusterStore()
        let runner = ScriptedRunner(policies: ["sleep": TaskPolicy(timeout: .milliseconds(50))])
        let timerClock = ManualTimerClock()
        let node = makeNode("A", store: store, runner: runner, timerClock: timerClock)
        try await node.start()
        let record = try await node.submit(submission("sleep"))
        await runner.started.wait(for: 1)
        try await timerClock.sleeping(dueWithin: .milliseconds(50))  // the timeout is set
        #expect(timerClock.pendingDelays.first == .milliseconds(50))
        timerClock.advance(by: .milliseconds(50))
        let done = try await ended(node, record.id)
        #expect(done.status == .failed && done.statusMessage == "timed out after 0.05 s")
        #expect(done.outcome == .error(.internalError("Task timed out after 0.05 s")))
        await runner.cancellations.wait(for: 1)
        #expect(await eventually { await node.statistics().running == 0 })
        #expect(try await node.task(record.id, for: .anonymous).status == .failed)
        await node.shutdown()
    }

    @Test func theActiveTaskQuotaCountsTasksOfEveryNode() async throws {
        let store = MemoryClusterStore()
        let configure: (inout ClusterEngineConfiguration) -> Void = { $0.engine.maxActiveTasksPerOwner = 2 }
        let nodeA = makeNode("A", store: store, slots: 0, configure: configure)
        let nodeB = makeNode("B", store: store, slots: 0, configure: configure)
        let alice = TaskOwner(principal: "alice")
        _ = try await nodeA.submit(submission("gate", owner: alice))
        let second = try await nodeB.submit(submission("gate", owner: alice))
        for node in [nodeA, nodeB] {
            let error = await #expect(throws: TaskEngineError.self) {
                try await node.submit(submission("gate", owner: alice))
            }
            guard case .quotaExceeded = error?.code else {
                Issue.record("expected quotaExceeded, got \(String(describing: error))")
                continue
            }
        }
        _ = try await nodeA.submit(submission("gate", owner: TaskOwner(principal: "bob")))
        _ = try await nodeA.cancel(second.id, for: alice)
        _ = try await nodeB.submit(submission("gate", owner: alice))
    }

    @Test func shutdownRefusesWorkReleasesWaitersAndLeavesRunningTasksLeased() async throws {
        let store = MemoryClusterStore()
        let runner = ScriptedRunner()
        let node = makeNode("A", store: store, runner: runner, slots: 1)
        try await node.start()
        let running = try await node.submit(submission("sleep"))
        let queued = try await node.submit(submission("sleep"))
        #expect(queued.status == .queued)
        let waiting = Task { try await node.waitForTerminal(queued.id, for: .anonymous) }
        #expect(await eventually { await node.statistics().running == 1 })
        await node.shutdown()
        #expect(try await waiting.value.status == .queued)
        await runner.cancellations.wait(for: 1)
        #expect(try await node.task(running.id, for: .anonymous).status == .working)
        #expect(store.lease(of: running.id)?.node == "A")
        let refused = await #expect(throws: TaskEngineError.self) { try await node.submit(submission("instant")) }
        #expect(refused?.code == .shuttingDown)
        let after = try await node.waitForTerminal(running.id, for: .anonymous)
        #expect(after.status == .working)
    }

    @Test func aStoreThatCannotBeReadKeepsTheEngineUnstartedAndSubmitsFail() async throws {
        let node = makeNode("A", store: UnreachableClusterStore())
        let error = await #expect(throws: TaskEngineError.self) { try await node.start() }
        #expect(error?.code == .storage)
        let refused = await #expect(throws: TaskEngineError.self) { try await node.submit(submission("instant")) }
        #expect(refused?.code == .storage)
        let missing = await #expect(throws: TaskEngineError.self) {
            try await node.task(TaskID.random(), for: .anonymous)
        }
        #expect(missing?.code == .storage)
        #expect(await node.statistics().running == 0)
    }
}

/// A store whose every call fails, as a database that is down.
struct UnreachableClusterStore: ClusterStore {
    struct Down: Error {}
    func task(_ id: TaskID) async throws -> TaskRecord? { throw Down() }
    func list(_ query: TaskStoreQuery) async throws -> [TaskRecord] { throw Down() }
    func counts() async throws -> [TaskStatus: Int] { throw Down() }
    func activeCount(ownerKey: String) async throws -> Int { throw Down() }
    func queuedCount(ownerKey: String) async throws -> Int { throw Down() }
    func setOwnerLimits(_ limits: OwnerLimits, ownerKey: String) async throws { throw Down() }
    func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord] { throw Down() }
    func insert(_ task: TaskRecord, origin: String, ownerLimit: Int, start: ImmediateStart?) async throws
        -> ClusterInsertOutcome
    {
        throw Down()
    }
    func claim(node: String, limit: Int, nowMs: Int64, leaseMs: Int64) async throws -> [ClaimedTask] { throw Down() }
    func cancel(_ id: TaskID, message: String, nowMs: Int64, origin: String) async throws -> ClusterCancelOutcome {
        throw Down()
    }
    func reclaimExpiredLeases(
        nowMs: Int64, limit: Int, origin: String, decide: @Sendable (TaskRecord) -> TaskRecord
    ) async throws -> [TaskRecord] { throw Down() }
    func delete(_ ids: [TaskID], origin: String) async throws -> [TaskRecord] { throw Down() }
    func write(_ record: TaskRecord, lease: TaskLease, change: ClusterChange, runAfterMs: Int64?) async throws -> Bool {
        throw Down()
    }
    func renew(node: String, leases: [TaskLease], untilMs: Int64) async throws -> Set<TaskID> { throw Down() }
    func openInputRequest(_ record: TaskRecord, lease: TaskLease, requestID: String, request: JSONValue)
        async throws -> Bool
    { throw Down() }
    func inputRequest(taskID: TaskID, requestID: String) async throws -> JSONValue? { throw Down() }
    func answerInputRequest(taskID: TaskID, requestID: String, response: JSONValue, origin: String)
        async throws -> Bool
    { throw Down() }
    func takeInputAnswer(taskID: TaskID, requestID: String) async throws -> JSONValue? { throw Down() }
    func signals(node: String) -> AsyncStream<ClusterSignal> { AsyncStream { $0.finish() } }
}
