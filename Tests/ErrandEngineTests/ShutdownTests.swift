import ErrandProtocol
import Testing

@testable import ErrandEngine

@Suite struct ShutdownTests {
    /// How the task of an attempt that is still unwinding ended before shutdown.
    enum Ending: CaseIterable { case cancelled, timedOut }

    @Test(.timeLimit(.minutes(1)), arguments: Ending.allCases)
    func shutdownWaitsForTheAttemptsOfTasksThatAlreadyEnded(ending: Ending) async throws {
        let timeout: Duration? = ending == .timedOut ? .milliseconds(20) : nil
        let runner = ScriptedRunner(policies: ["stubborn": TaskPolicy(timeout: timeout)])
        let engine = makeEngine(runner: runner)
        try await engine.start()
        let record = try await engine.submit(submission("stubborn"))
        await runner.started.wait(for: 1)
        switch ending {
        case .cancelled: _ = try await engine.cancel(record.id, for: .anonymous)
        case .timedOut: #expect(try await terminal(engine, record.id).status == .failed)
        }
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
}
