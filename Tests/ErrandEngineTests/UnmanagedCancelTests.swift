import ErrandProtocol
import Testing

@testable import ErrandEngine

@Suite struct UnmanagedCancelTests {
    @Test(.timeLimit(.minutes(1))) func twoCancelsOfATaskOnlyInTheStoreCancelItOnce() async throws {
        let store = GatedStore()
        let engine = makeEngine(store: store)
        try await engine.start()
        // Only in the store: left by a restart race or run by another node.
        let clock = ManualClock()
        let orphan = RecoveryTests.leftover("gate", status: .working, attempt: 1, createdAt: clock.nowMs())
        try await store.base.insert(orphan)
        let log = EventLog(engine.events)
        defer { log.subscription.cancel() }

        store.updates.arm()
        let first = Task { try await engine.cancel(orphan.id, for: .anonymous) }
        await store.updates.arrived.wait(for: 1)  // the first cancel is storing the cancellation
        let second = Task { try await engine.cancel(orphan.id, for: .anonymous) }
        // Wait until the second either stores too (the defect) or waits for the first (the fix).
        let settled = await eventually {
            let waiting = await engine.cancellingUnmanaged[orphan.id]?.count ?? 0
            return store.updates.arrived.value == 2 || waiting == 1
        }
        #expect(settled)
        store.updates.release()
        #expect(try await first.value.status == .cancelled)
        let error = await #expect(throws: TaskEngineError.self) { try await second.value }
        #expect(error?.code == .alreadyTerminal(.cancelled))
        #expect(log.changes(for: orphan.id) == [.status])
        #expect(store.written.value == 1)
    }
}

@Suite struct CancelDuringSubmitTests {
    /// The task is stored (so a cancel can find it) but its submission has not registered it yet: the cancel must
    /// wait for the submission, stop the attempt, and keep `cancelled` — not store it behind the attempt's back.
    @Test(.timeLimit(.minutes(1))) func aCancelWhileTheInsertIsInFlightStopsTheAttempt() async throws {
        let store = GatedStore()
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner, store: store)
        try await engine.start()
        store.inserts.arm()
        let submit = Task { try await engine.submit(submission("sleep")) }
        await store.inserts.arrived.wait(for: 1)  // stored, the engine has not heard back
        let stored = try await store.base.list(TaskStoreQuery(requester: .anonymous, limit: 10))
        let id = try #require(stored.first?.id)
        let cancel = Task { try await engine.cancel(id, for: .anonymous) }
        #expect(await eventually { await engine.cancellingUnmanaged[id]?.count == 1 })
        store.inserts.release()
        _ = try await submit.value
        #expect(try await cancel.value.status == .cancelled)
        #expect(await eventually { runner.cancellations.value == 1 }, "the attempt was not stopped")
        #expect(try await engine.task(id, for: .anonymous).status == .cancelled)
        #expect(try await store.base.task(id)?.status == .cancelled)
    }
}
