import ErrandProtocol
import ErrandTestSupport
import Testing

@testable import ErrandEngine

@Suite struct StartupTests {
    @Test(.timeLimit(.minutes(1))) func aSubmissionDuringRecoveryIsCountedAndRunOnce() async throws {
        let clock = ManualClock()
        let leftover = RecoveryTests.leftover("instant", status: .queued, attempt: 0, createdAt: clock.nowMs() - 1000)
        let store = GatedStore(tasks: [leftover])
        store.counting.arm()
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner, store: store, clock: clock)
        let starting = Task { try await engine.start() }
        await store.counting.arrived.wait(for: 1)  // start() is about to read the counts
        let submitting = Task { try await engine.submit(submission("instant")) }
        // Wait until the submission either reached the store (the defect) or waits for start (the fix).
        let settled = await eventually {
            let waiting = await engine.startWaiters.count
            return store.inserted.value == 1 || waiting == 1
        }
        #expect(settled)
        store.counting.release()
        try await starting.value
        let record = try await submitting.value
        #expect(try await terminal(engine, record.id).status == .completed)
        #expect(try await terminal(engine, leftover.id).status == .completed)
        #expect(await engine.statistics().byStatus == [.completed: 2])
        #expect(runner.started.value == 2)
        await engine.shutdown()
    }

    @Test(.timeLimit(.minutes(1))) func aCancelDuringRecoveryIsNotUndoneByIt() async throws {
        let clock = ManualClock()
        let leftover = RecoveryTests.leftover("gate", status: .queued, attempt: 0, createdAt: clock.nowMs() - 1000)
        let store = GatedStore(tasks: [leftover])
        store.unfinishedReads.arm()
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner, store: store, clock: clock)
        let starting = Task { try await engine.start() }
        await store.unfinishedReads.arrived.wait(for: 1)  // start() holds a snapshot with the task queued
        let cancelling = Task { try await engine.cancel(leftover.id, for: .anonymous) }
        let settled = await eventually {
            let waiting = await engine.startWaiters.count
            return store.written.value == 1 || waiting == 1
        }
        #expect(settled)
        store.unfinishedReads.release()
        try await starting.value
        #expect(try await cancelling.value.status == .cancelled)
        // Recovery must not have queued it again from its stale snapshot (it would be running now).
        #expect(try await engine.task(leftover.id, for: .anonymous).status == .cancelled)
        #expect(try await store.base.task(leftover.id)?.status == .cancelled)
        runner.gate.open()
        await engine.shutdown()
    }
}
