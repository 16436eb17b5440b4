import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

@Suite struct WaitTests {
    @Test func aTerminalTaskReturnsAtOnce() async throws {
        let engine = makeEngine()
        let record = try await engine.submit(submission("instant"))
        _ = try await terminal(engine, record.id)
        let again = try await engine.waitForTerminal(record.id, for: .anonymous, timeout: .zero)
        #expect(again.status == .completed)
    }

    @Test(.timeLimit(.minutes(1))) func waitingDuringShutdownAnswersAtOnce() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner)
        let record = try await engine.submit(submission("gate"))
        let stopping = Task { await engine.shutdown() }
        #expect(await eventually { await engine.hasBegunShutdown })
        // Nothing will end the task or fire a timeout any more: the wait must not hang.
        let waited = try await engine.waitForTerminal(record.id, for: .anonymous)
        #expect(!waited.status.isTerminal)
        runner.gate.open()
        await stopping.value
    }

    @Test func manyWaitersWakeWhenTheTaskEnds() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner)
        let record = try await engine.submit(submission("gate"))
        let results = try await withThrowingTaskGroup(of: TaskStatus.self) { group in
            for _ in 0..<10 {
                group.addTask { try await engine.waitForTerminal(record.id, for: .anonymous).status }
            }
            #expect(await eventually { await engine.waiterCount(record.id) == 10 })  // all wait before it ends
            runner.gate.open()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: .completed, count: 10))
    }

    @Test(.timeLimit(.minutes(1))) func timeoutReturnsTheNonTerminalTask() async throws {
        let runner = ScriptedRunner()
        let timerClock = ManualTimerClock()
        let engine = makeEngine(runner: runner, timerClock: timerClock)
        let record = try await engine.submit(submission("gate"))
        let waiter = Task { try await engine.waitForTerminal(record.id, for: .anonymous, timeout: .milliseconds(30)) }
        try await timerClock.sleeping(dueWithin: .milliseconds(30))  // the wait's timeout is set
        #expect(timerClock.pendingDelays.first == .milliseconds(30))
        #expect(await engine.waiterCount(record.id) == 1)
        timerClock.advance(by: .milliseconds(30))
        #expect(try await waiter.value.status == .working)
        #expect(await engine.waiterCount(record.id) == 0)
        runner.gate.open()
        #expect(try await terminal(engine, record.id).status == .completed)
    }

    @Test func cancellingTheWaitingTaskReleasesIt() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner)
        let record = try await engine.submit(submission("gate"))
        let waiter = Task { try await engine.waitForTerminal(record.id, for: .anonymous) }
        #expect(await eventually { await engine.waiterCount(record.id) == 1 })
        waiter.cancel()
        #expect(try await waiter.value.status == .working)
        #expect(await engine.waiterCount(record.id) == 0)  // the cancelled wait left nothing behind
        runner.gate.open()
    }

    @Test func foreignOrUnknownTasksAreNotFound() async throws {
        let engine = makeEngine()
        let record = try await engine.submit(submission("gate", owner: TaskOwner(principal: "alice")))
        for (id, requester) in [(record.id, TaskOwner(principal: "mallory")), (TaskID.random(), .anonymous)] {
            let error = await #expect(throws: TaskEngineError.self) {
                try await engine.waitForTerminal(id, for: requester, timeout: .milliseconds(1))
            }
            #expect(error?.code == .notFound)
        }
    }
}
