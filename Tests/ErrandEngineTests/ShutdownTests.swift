import ErrandProtocol
import ErrandTestSupport
import Testing

@testable import ErrandEngine

@Suite struct ShutdownTests {
    /// How the task of an attempt that is still unwinding ended before shutdown.
    enum Ending: CaseIterable { case cancelled, timedOut }

    @Test(.timeLimit(.minutes(1)), arguments: Ending.allCases)
    func shutdownWaitsForTheAttemptsOfTasksThatAlreadyEnded(ending: Ending) async throws {
        let timeout: Duration? = ending == .timedOut ? .milliseconds(20) : nil
        let runner = ScriptedRunner(policies: ["stubborn": TaskPolicy(timeout: timeout)])
        let timerClock = ManualTimerClock()
        let engine = makeEngine(runner: runner, timerClock: timerClock)
        try await engine.start()
        let record = try await engine.submit(submission("stubborn"))
        await runner.started.wait(for: 1)
        switch ending {
        case .cancelled: _ = try await engine.cancel(record.id, for: .anonymous)
        case .timedOut:
            try await timerClock.sleeping(dueWithin: .milliseconds(20))
            timerClock.advance(by: .milliseconds(20))
            #expect(try await terminal(engine, record.id).status == .failed)
        }
        await runner.cancellations.wait(for: 1)  // the attempt was cancelled, and ignores it
        // The task ended, but its attempt ignores cancellation and is still running.
        #expect(await engine.statistics().running == 1)

        let stopping = Task { await engine.shutdown() }
        #expect(await eventually { await engine.lifecycle != .started })
        #expect(await engine.lifecycle == .shuttingDown, "shutdown returned while an attempt was still running")
        runner.gate.open()
        await stopping.value
        #expect(await engine.lifecycle == .stopped)
        #expect(await engine.statistics().running == 0)
    }

    @Test(.timeLimit(.minutes(1))) func aSubmissionThatRacesShutdownIsRecoveredAsNeverStarted() async throws {
        let store = GatedStore()
        let engine = makeEngine(store: store)
        try await engine.start()
        store.inserts.arm()
        let submitting = Task { try await engine.submit(submission("instant")) }
        await store.inserts.arrived.wait(for: 1)  // stored as working; the engine has not heard back yet
        let stopping = Task { await engine.shutdown() }
        #expect(await eventually { await engine.lifecycle != .started })
        #expect(await engine.lifecycle == .shuttingDown, "shutdown returned while a submission awaited the store")
        store.inserts.release()
        let record = try await submitting.value
        await stopping.value
        let stored = try #require(try await store.base.task(record.id))
        #expect(stored.status == .queued && stored.attempt == 0)
        #expect(stored == record)

        // The next start runs it as a task that never started, not as one interrupted (retry-less: failed).
        let next = makeEngine(store: store.base)
        try await next.start()
        let done = try await terminal(next, record.id)
        #expect(done.status == .completed && done.attempt == 1)
        #expect(done.history.map(\.status) == [.queued, .working, .completed])
        await next.shutdown()
    }
}
