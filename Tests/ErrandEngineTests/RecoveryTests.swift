import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

@Suite struct RecoveryTests {
    static func leftover(_ target: String, status: TaskStatus, attempt: Int, createdAt: Int64) -> TaskRecord {
        TaskRecord(
            id: TaskID.random(), owner: TaskOwner(session: "s"), kind: .toolCall, target: target, arguments: [:],
            status: status, createdAt: createdAt, lastUpdatedAt: createdAt, ttlMs: 60_000, pollIntervalMs: 500,
            attempt: attempt, history: [TaskHistoryEntry(at: createdAt, status: status, message: nil, attempt: attempt)]
        )
    }

    @Test func unfinishedTasksAreRequeuedOrFailedAtStart() async throws {
        let clock = ManualClock()
        let retrying = Self.leftover("instant", status: .working, attempt: 1, createdAt: clock.nowMs() - 3000)
        let single = Self.leftover("gate", status: .working, attempt: 1, createdAt: clock.nowMs() - 2000)
        let queued = Self.leftover("gate", status: .queued, attempt: 0, createdAt: clock.nowMs() - 1000)
        let asking = Self.leftover("instant", status: .inputRequired, attempt: 1, createdAt: clock.nowMs() - 500)
        let done = Self.leftover("instant", status: .completed, attempt: 1, createdAt: clock.nowMs() - 4000)
        let store = MemoryTaskStore(tasks: [retrying, single, queued, asking, done])
        let runner = ScriptedRunner(policies: ["instant": TaskPolicy(maxAttempts: 2)])
        let engine = makeEngine(runner: runner, store: store, clock: clock)
        try await engine.start()

        let failed = try await engine.task(single.id, for: .anonymous)
        #expect(failed.status == .failed)
        #expect(failed.statusMessage == "Server restarted while the task was running")
        #expect(try await store.task(single.id)?.status == .failed)

        let rerun = try await terminal(engine, retrying.id)
        #expect(rerun.status == .completed)
        #expect(rerun.attempt == 2)
        #expect(rerun.history.map(\.status) == [.working, .queued, .working, .completed])
        #expect(rerun.history[1].message?.contains("server restarted") == true)
        #expect(rerun.history.map(\.attempt) == [1, 1, 2, 2])
        #expect(try await terminal(engine, asking.id).status == .completed)

        runner.gate.open()
        let queuedRun = try await terminal(engine, queued.id)
        #expect(queuedRun.status == .completed && queuedRun.attempt == 1)
        #expect(try await engine.task(done.id, for: .anonymous).status == .completed)
        let stats = await engine.statistics()
        #expect(stats.byStatus == [.completed: 4, .failed: 1])
        await engine.shutdown()
    }

    @Test func shutdownCancelsRunningAttemptsAndLeavesThemForRecovery() async throws {
        let store = MemoryTaskStore()
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner, store: store)
        try await engine.start()
        let record = try await engine.submit(submission("sleep"))
        await runner.started.wait(for: 1)
        await engine.shutdown()
        #expect(runner.cancellations.value == 1)
        #expect(try await store.task(record.id)?.status == .working)

        let next = makeEngine(runner: ScriptedRunner(), store: store)
        try await next.start()
        #expect(try await next.task(record.id, for: .anonymous).status == .failed)
        await next.shutdown()
    }

    @Test(.timeLimit(.minutes(1))) func aResultThatArrivesDuringShutdownIsKept() async throws {
        let store = MemoryTaskStore()
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner, store: store)
        let record = try await engine.submit(submission("stubborn"))
        await runner.started.wait(for: 1)
        let stopping = Task { await engine.shutdown() }
        await runner.cancellations.wait(for: 1)  // shutdown cancelled the attempt and waits for it
        runner.gate.open()  // the attempt ignored the cancellation and completes while shutdown waits for it
        await stopping.value
        let stored = try #require(try await store.task(record.id))
        #expect(stored.status == .completed)
        #expect(stored.outcome != nil)
    }
}
