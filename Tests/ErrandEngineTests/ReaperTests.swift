import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

@Suite struct ReaperTests {
    @Test func onlyExpiredTerminalTasksArePurged() async throws {
        let clock = ManualClock()
        let runner = ScriptedRunner()
        let store = MemoryTaskStore()
        let engine = makeEngine(runner: runner, store: store, clock: clock)
        let seen = EventLog(engine.events)
        let short = try await engine.submit(submission("instant", ttl: 10_000))
        let long = try await engine.submit(submission("instant", ttl: 60_000))
        let running = try await engine.submit(submission("gate", ttl: 10_000))
        _ = try await terminal(engine, short.id)
        _ = try await terminal(engine, long.id)
        let waiter = Task { try await engine.waitForTerminal(running.id, for: .anonymous) }

        clock.advance(byMs: 9_999)
        #expect(await engine.reapExpired() == 0)
        clock.advance(byMs: 1)
        #expect(await engine.reapExpired() == 1)
        await #expect(throws: TaskEngineError.self) { try await engine.task(short.id, for: .anonymous) }
        #expect(try await store.task(short.id) == nil)
        #expect(seen.changes(for: short.id).last == .deleted)
        // Past its ttl but still running and waited on: kept.
        #expect(try await engine.task(running.id, for: .anonymous).status == .working)
        #expect(try await engine.task(long.id, for: .anonymous).status == .completed)

        clock.advance(byMs: 60_000)
        #expect(await engine.reapExpired() == 1)  // `long`; `running` is still not terminal
        runner.gate.open()
        #expect(try await waiter.value.status == .completed)
        #expect(await engine.reapExpired() == 1)
        #expect(await engine.statistics().byStatus.isEmpty)
    }

    @Test func deleteRefusesRunningTasksAndPublishesDeleted() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner)
        let seen = EventLog(engine.events)
        let record = try await engine.submit(submission("gate"))
        let error = await #expect(throws: TaskEngineError.self) { try await engine.delete(record.id, for: .anonymous) }
        #expect(error?.code == .notTerminal)
        runner.gate.open()
        _ = try await terminal(engine, record.id)
        try await engine.delete(record.id, for: .anonymous)
        #expect(seen.changes(for: record.id) == [.created, .status, .deleted])
        let again = await #expect(throws: TaskEngineError.self) { try await engine.delete(record.id, for: .anonymous) }
        #expect(again?.code == .notFound)
    }
}
