import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

@Suite struct StateMachineTests {
    static let legal: Set<[TaskStatus]> = [
        [.queued, .working], [.queued, .failed], [.queued, .cancelled],
        [.working, .queued], [.working, .inputRequired], [.working, .completed], [.working, .failed],
        [.working, .cancelled],
        [.inputRequired, .queued], [.inputRequired, .working], [.inputRequired, .completed],
        [.inputRequired, .failed], [.inputRequired, .cancelled],
    ]

    static let allPairs: [(TaskStatus, TaskStatus)] = TaskStatus.allCases.flatMap { from in
        TaskStatus.allCases.map { to in (from, to) }
    }

    @Test("every transition is allowed exactly when the table says so", arguments: allPairs)
    func transition(from: TaskStatus, to: TaskStatus) {
        #expect(from.canTransition(to: to) == Self.legal.contains([from, to]))
    }

    @Test func terminalStatusesNeverChange() {
        for status in TaskStatus.allCases where status.isTerminal {
            #expect(TaskStatus.allCases.allSatisfy { !status.canTransition(to: $0) })
        }
        #expect(TaskStatus.allCases.filter(\.isTerminal) == [.completed, .failed, .cancelled])
    }

    @Test func lifecycleRecordsHistoryAndTimestamps() async throws {
        let clock = ManualClock()
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner, clock: clock)
        let created = try await engine.submit(submission("gate"))
        #expect(created.status == .working)
        #expect(created.attempt == 1)
        #expect(created.createdAt == clock.nowMs() && created.lastUpdatedAt == created.createdAt)
        await runner.started.wait(for: 1)
        clock.advance(byMs: 250)
        runner.gate.open()
        let done = try await terminal(engine, created.id)
        #expect(done.status == .completed)
        #expect(done.lastUpdatedAt == created.createdAt + 250)
        #expect(done.history.map(\.status) == [.working, .completed])
        #expect(done.history.map(\.attempt) == [1, 1])
        #expect(done.outcome == .result(["ok": true]))
    }
}
