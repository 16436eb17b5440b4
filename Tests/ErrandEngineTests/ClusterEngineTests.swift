import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

/// Several ``ClusterEngine`` nodes over one ``MemoryClusterStore``: where work runs and what each node sees.
@Suite struct ClusterEngineTests {
    @Test func workSubmittedOnAServeOnlyNodeRunsOnAWorkerAndEveryNodeSeesIt() async throws {
        let store = MemoryClusterStore()
        let runnerA = ScriptedRunner()
        let runnerB = ScriptedRunner()
        let serve = makeNode("A", store: store, runner: runnerA, slots: 0)
        let worker = makeNode("B", store: store, runner: runnerB)
        try await serve.start()
        try await worker.start()
        let seenOnA = EventLog(serve.events)
        let record = try await serve.submit(submission("progress"))
        #expect(record.status == .queued && record.attempt == 0)
        let done = try await ended(serve, record.id)
        #expect(done.status == .completed && done.attempt == 1)
        #expect(done.progress == TaskProgress(current: 3, total: 3, message: "step 3"))
        #expect(done.history.map(\.status) == [.queued, .working, .completed])
        #expect(runnerA.started.value == 0 && runnerB.started.value == 1)
        let changes = seenOnA.changes(for: record.id)
        #expect(changes.first == .created && changes.last == .status)
        #expect(seenOnA.all.last { $0.task.id == record.id }?.task.status == .completed)
        #expect(await serve.statistics().running == 0)
        await serve.shutdown()
        await worker.shutdown()
    }

    /// A submission that delays nobody is stored already running here: one store call, no claim. An owner with a
    /// `concurrentTasks` limit starts at once while its unfinished tasks are below it; at the limit, or with more
    /// runnable tasks queued than the node has other free slots, it goes through a claim as before.
    @Test func aSubmissionThatDelaysNobodyStartsWithoutAClaim() async throws {
        let store = FaultyClusterStore()
        let runner = ScriptedRunner()
        let clock = ManualClock()
        let node = makeNode("A", store: store, runner: runner, slots: 3, clock: clock)
        try await node.start()
        let claimsAtStart = store.claims.value
        let first = try await node.submit(submission("gate"))
        #expect(first.status == .working && first.attempt == 1)
        #expect(store.base.lease(of: first.id)?.node == "A")
        var limited = submission("gate")
        limited.limits = OwnerLimits(concurrentTasks: 2)
        let second = try await node.submit(limited)
        #expect(second.status == .working)
        #expect(store.claims.value == claimsAtStart)
        // The owner has 2 unfinished tasks, its limit: queued, and the claim that follows leaves it queued.
        let third = try await node.submit(limited)
        #expect(third.status == .queued)
        #expect(store.claims.value > claimsAtStart)
        // One slot is free, but a runnable task waits and no other slot would be left for it: queued too (and
        // the claim that follows takes the older `third` once this submission lifts the owner's limit).
        clock.advance(byMs: 1)
        let fourth = try await node.submit(submission("instant"))
        #expect(fourth.status == .queued)
        runner.gate.open()
        for id in [first.id, second.id, third.id, fourth.id] {
            #expect(try await ended(node, id).status == .completed)
        }
        await node.shutdown()
    }

    /// A freed slot claims only while work may wait: finishing a task with nothing queued sends no claim; a task
    /// queued behind a full node is claimed when the slot frees. Shutting down waits for a claim in flight, so the
    /// count is final.
    @Test func aFreedSlotClaimsOnlyWhileWorkMayWait() async throws {
        let store = FaultyClusterStore()
        let runner = ScriptedRunner()
        let node = makeNode("A", store: store, runner: runner, slots: 1)
        try await node.start()
        let claimsAtStart = store.claims.value
        let first = try await node.submit(submission("instant"))
        #expect(try await ended(node, first.id).status == .completed)
        #expect(await eventually { await node.statistics().running == 0 })
        let gated = try await node.submit(submission("gate"))
        #expect(gated.status == .working)
        let queued = try await node.submit(submission("instant"))
        #expect(queued.status == .queued)
        runner.gate.open()
        #expect(try await ended(node, queued.id).status == .completed)
        #expect(await eventually { await node.statistics().running == 0 })
        await node.shutdown()
        // One claim: the one that took `queued` when `gated` freed the slot. None when `first` or `queued` ended.
        #expect(store.claims.value == claimsAtStart + 1)
    }

    @Test func aNodeWithAFreeSlotClaimsItsOwnSubmissionAtOnce() async throws {
        let store = MemoryClusterStore()
        let runner = ScriptedRunner()
        let node = makeNode("A", store: store, runner: runner)
        try await node.start()
        let seen = EventLog(node.events)
        let record = try await node.submit(submission("gate"))
        #expect(record.status == .working && record.attempt == 1)
        #expect(store.lease(of: record.id)?.node == "A")
        #expect(await node.statistics().running == 1)
        runner.gate.open()
        let done = try await ended(node, record.id)
        #expect(done.status == .completed)
        #expect(seen.changes(for: record.id) == [.created, .status, .status])
        await node.shutdown()
    }

    @Test func cancelOnOneNodeStopsTheWorkOnAnother() async throws {
        let store = MemoryClusterStore()
        let runnerB = ScriptedRunner()
        let serve = makeNode("A", store: store, slots: 0)
        let worker = makeNode("B", store: store, runner: runnerB)
        try await serve.start()
        try await worker.start()
        let seenOnB = EventLog(worker.events)
        let record = try await serve.submit(submission("sleep"))
        await runnerB.started.wait(for: 1)
        let cancelled = try await serve.cancel(record.id, for: .anonymous)
        #expect(cancelled.status == .cancelled && cancelled.statusMessage == "Cancelled by request")
        await runnerB.cancellations.wait(for: 1)
        #expect(await eventually { await worker.statistics().running == 0 })
        let stored = try await worker.task(record.id, for: .anonymous)
        #expect(stored.history.map(\.status) == [.queued, .working, .cancelled])
        #expect(seenOnB.all.last { $0.task.id == record.id }?.task.status == .cancelled)
        let again = await #expect(throws: TaskEngineError.self) { try await worker.cancel(record.id, for: .anonymous) }
        #expect(again?.code == .alreadyTerminal(.cancelled))
        #expect(again?.message == "Cannot cancel task: already in terminal status 'cancelled'")
        await serve.shutdown()
        await worker.shutdown()
    }

    @Test func aLateResultOfACancelledTaskIsRefusedByTheFence() async throws {
        let store = MemoryClusterStore()
        let runnerB = ScriptedRunner()
        let serve = makeNode("A", store: store, slots: 0)
        let worker = makeNode("B", store: store, runner: runnerB)
        try await serve.start()
        try await worker.start()
        let record = try await serve.submit(submission("stubborn"))
        await runnerB.started.wait(for: 1)
        store.dropSignals(to: "B")  // B never hears of the cancel
        _ = try await serve.cancel(record.id, for: .anonymous)
        let seenOnA = EventLog(serve.events)
        let seenOnB = EventLog(worker.events)
        runnerB.gate.open()
        #expect(await eventually { await worker.statistics().running == 0 })
        let stored = try await serve.task(record.id, for: .anonymous)
        #expect(stored.status == .cancelled && stored.outcome == nil)
        #expect(stored.history.map(\.status) == [.queued, .working, .cancelled])
        #expect(seenOnA.changes(for: record.id).isEmpty && seenOnB.changes(for: record.id).isEmpty)
        await serve.shutdown()
        await worker.shutdown()
    }

    @Test func aQuestionTheToolStopsWaitingForIsWithdrawnOnEveryNode() async throws {
        let store = MemoryClusterStore()
        let serve = makeNode("A", store: store, slots: 0)
        let worker = makeNode("B", store: store)
        try await serve.start()
        try await worker.start()
        let record = try await serve.submit(submission("input_timeout"))
        let done = try await ended(serve, record.id)
        #expect(done.outcome == .result(["answered": false]))
        #expect(done.history.map(\.status) == [.queued, .working, .inputRequired, .working, .completed])
        #expect(done.history[3].message == TaskEngine.questionWithdrawn)
        #expect(try await serve.task(record.id, for: .anonymous).inputRequest == nil)
        await serve.shutdown()
        await worker.shutdown()
    }

    @Test func anInputRequestOpenedOnOneNodeIsAnsweredThroughAnother() async throws {
        let store = MemoryClusterStore()
        let serve = makeNode("A", store: store, slots: 0)
        let worker = makeNode("B", store: store)
        try await serve.start()
        try await worker.start()
        let requests = Mutex<[(String, JSONValue)]>([])
        let subscription = serve.events.subscribe { event in
            if case .inputRequested(let requestID, let request) = event.change {
                requests.withLock { $0.append((requestID, request)) }
            }
        }.subscription
        defer { subscription.cancel() }
        let record = try await serve.submit(submission("input"))
        #expect(await eventually { requests.withLock { !$0.isEmpty } })
        let (requestID, request) = requests.withLock { $0[0] }
        #expect(request == ["question": "name?"])
        let waiting = try await serve.task(record.id, for: .anonymous)
        #expect(waiting.status == .inputRequired)
        // The question is stored with the task: node A reads it without having asked it.
        #expect(waiting.inputRequest?.id == requestID && waiting.inputRequest?.request == request)

        let unknown = await #expect(throws: TaskEngineError.self) {
            try await serve.provideInput(taskID: record.id, requestID: "nope", response: "x")
        }
        #expect(unknown?.code == .notFound)
        let answer: JSONValue = ["name": "Ada", "_meta": [TaskInputRequest.answeredByMetaKey: "carol"]]
        try await serve.provideInput(taskID: record.id, requestID: requestID, response: answer)
        let done = try await ended(serve, record.id)
        #expect(done.outcome == .result(["answer": answer]))
        #expect(done.inputRequest == nil)
        #expect(done.history.contains { $0.message == "input answered by carol" })
        #expect(done.history.map(\.status) == [.queued, .working, .inputRequired, .working, .completed])
        let late = await #expect(throws: TaskEngineError.self) {
            try await serve.provideInput(taskID: record.id, requestID: requestID, response: "again")
        }
        #expect(late?.code == .alreadyTerminal(.completed))
        await serve.shutdown()
        await worker.shutdown()
    }

    @Test func anInputRequestIsAnsweredOnTheNodeRunningIt() async throws {
        let store = MemoryClusterStore()
        let node = makeNode("A", store: store)
        try await node.start()
        let requestIDs = Mutex<[String]>([])
        let subscription = node.events.subscribe { event in
            if case .inputRequested(let requestID, _) = event.change { requestIDs.withLock { $0.append(requestID) } }
        }.subscription
        defer { subscription.cancel() }
        let record = try await node.submit(submission("input"))
        #expect(await eventually { requestIDs.withLock { !$0.isEmpty } })
        try await node.provideInput(taskID: record.id, requestID: requestIDs.withLock { $0[0] }, response: "Bo")
        #expect(try await ended(node, record.id).outcome == .result(["answer": "Bo"]))
        await node.shutdown()
    }

    @Test func waitingOnOneNodeEndsWhenAnotherCompletesTheTask() async throws {
        let store = MemoryClusterStore()
        let runnerB = ScriptedRunner()
        let serve = makeNode("A", store: store, slots: 0)
        let worker = makeNode("B", store: store, runner: runnerB)
        try await serve.start()
        try await worker.start()
        let record = try await serve.submit(submission("gate"))
        await runnerB.started.wait(for: 1)
        let waiting = Task { try await serve.waitForTerminal(record.id, for: .anonymous) }
        let early = try await serve.waitForTerminal(record.id, for: .anonymous, timeout: .milliseconds(1))
        #expect(early.status == .working)
        runnerB.gate.open()
        #expect(try await waiting.value.status == .completed)
        await serve.shutdown()
        await worker.shutdown()
    }

    @Test func aLostSignalIsMadeUpForByResynchronizing() async throws {
        let store = MemoryClusterStore()
        let runnerB = ScriptedRunner()
        let serve = makeNode("A", store: store, slots: 0)
        let worker = makeNode("B", store: store, runner: runnerB)
        try await serve.start()
        try await worker.start()
        let record = try await serve.submit(submission("gate"))
        await runnerB.started.wait(for: 1)
        let waiting = Task { try await serve.waitForTerminal(record.id, for: .anonymous) }
        store.dropSignals(to: "A")
        runnerB.gate.open()
        #expect(await eventually { await worker.statistics().running == 0 })
        store.dropSignals(to: "A", false)
        store.resynchronize()
        #expect(try await waiting.value.status == .completed)
        await serve.shutdown()
        await worker.shutdown()
    }

    @Test func aWorkerThatMissedTheWakeSignalFindsTheTaskByPolling() async throws {
        let store = MemoryClusterStore()
        let runnerB = ScriptedRunner()
        let serve = makeNode("A", store: store, slots: 0)
        let worker = makeNode("B", store: store, runner: runnerB) { $0.pollInterval = .milliseconds(20) }
        try await serve.start()
        try await worker.start()
        store.dropSignals(to: "B")
        let record = try await serve.submit(submission("instant"))
        #expect(try await ended(serve, record.id).status == .completed)
        #expect(runnerB.started.value == 1)
        await serve.shutdown()
        await worker.shutdown()
    }

    @Test func aDeletionOnOneNodeIsPublishedOnAnother() async throws {
        let store = MemoryClusterStore()
        let nodeA = makeNode("A", store: store)
        let nodeB = makeNode("B", store: store, slots: 0)
        try await nodeA.start()
        try await nodeB.start()
        let seenOnB = EventLog(nodeB.events)
        let record = try await nodeA.submit(submission("instant"))
        _ = try await ended(nodeA, record.id)
        // B publishes the end once it has handled A's signal (its waitForTerminal may return earlier, by a read).
        #expect(await eventually { seenOnB.all.contains { $0.task.id == record.id && $0.task.status == .completed } })
        let before = seenOnB.all.count
        try await nodeA.delete(record.id, for: .anonymous)
        #expect(await eventually { seenOnB.all.dropFirst(before).map(\.change) == [.deleted] })
        #expect(seenOnB.all.dropFirst(before).first?.task.status == .completed)
        let gone = await #expect(throws: TaskEngineError.self) { try await nodeB.task(record.id, for: .anonymous) }
        #expect(gone?.code == .notFound)
        await nodeA.shutdown()
        await nodeB.shutdown()
    }

    @Test func foreignTasksAreNotFoundAndRunningOnesCannotBeDeleted() async throws {
        let store = MemoryClusterStore()
        let node = makeNode("A", store: store, slots: 0)
        try await node.start()
        let alice = TaskOwner(principal: "alice")
        let bob = TaskOwner(principal: "bob")
        let record = try await node.submit(submission("gate", owner: alice))
        for attempt in [
            { _ = try await node.task(record.id, for: bob) },
            { _ = try await node.cancel(record.id, for: bob) },
            { try await node.delete(record.id, for: bob) },
            { _ = try await node.waitForTerminal(record.id, for: bob) },
        ] as [@Sendable () async throws -> Void] {
            let error = await #expect(throws: TaskEngineError.self) { try await attempt() }
            #expect(error?.code == .notFound)
        }
        let running = await #expect(throws: TaskEngineError.self) { try await node.delete(record.id, for: alice) }
        #expect(running?.code == .notTerminal)
        #expect(try await node.list(TaskListQuery(scope: .visible), for: bob).tasks.isEmpty)
        #expect(try await node.list(TaskListQuery(scope: .visible), for: alice).tasks.map(\.id) == [record.id])
        let badCursor = await #expect(throws: TaskEngineError.self) {
            try await node.list(TaskListQuery(scope: .visible, cursor: "bogus"), for: alice)
        }
        #expect(badCursor?.code == .invalidCursor)
        await node.shutdown()
    }
}

/// The cluster's counts are read once per `countsMaxAge`, however many callers want them at once.
@Suite struct ClusterCountsTests {
    /// Every submission checks the cluster's caps against the counts. When they are stale, the first caller reads
    /// them; the others answer from the counts read before instead of sending a read each.
    @Test func staleCountsAreReadOnceWhileManyCallersAsk() async throws {
        let store = FaultyClusterStore()
        let timerClock = ManualTimerClock()
        let node = makeNode("A", store: store, slots: 0, timerClock: timerClock)
        try await node.start()
        let readsAtStart = store.countReads.value
        _ = try await node.submit(submission("instant"))
        store.holdingCounts.store(true, ordering: .relaxed)
        timerClock.advance(by: .seconds(2))  // past countsMaxAge (1 s)
        let reading = Task { await node.statistics() }
        #expect(await eventually { store.countReads.value == readsAtStart + 1 })
        // The read hangs in the store; these answer without it, from the counts read at start plus the submission.
        for _ in 0..<5 {
            #expect(await node.statistics().queued == 1)
        }
        #expect(store.countReads.value == readsAtStart + 1)
        store.countsGate.open()
        #expect(await reading.value.queued == 1)
        #expect(store.countReads.value == readsAtStart + 1)
        await node.shutdown()
    }
}
