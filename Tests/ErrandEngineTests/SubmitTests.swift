import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

@Suite struct SubmitTests {
    @Test(
        "ttl is clamped into [min, max] and nil means the default",
        arguments: [
            (nil, 3_600_000), (0, 10_000), (-5, 10_000), (9_999, 10_000), (10_000, 10_000), (120_000, 120_000),
            (7 * 86_400_000, 7 * 86_400_000), (7 * 86_400_000 + 1, 7 * 86_400_000), (Int64.max, 7 * 86_400_000),
        ] as [(Int64?, Int64)])
    func ttlClamping(requested: Int64?, effective: Int64) async throws {
        let engine = makeEngine()
        let record = try await engine.submit(submission("instant", ttl: requested))
        #expect(record.ttlMs == effective)
        #expect(record.expiresAt == record.createdAt + effective)
    }

    @Test func pollIntervalDefaultsToConfiguration() async throws {
        let engine = makeEngine { $0.defaultPollIntervalMs = 750 }
        let record = try await engine.submit(submission("instant"))
        #expect(record.pollIntervalMs == 750)
    }

    @Test func beyondConcurrencyTasksQueueAndRunByPriorityThenFIFO() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner) { $0.maxConcurrentTasks = 1 }
        let first = try await engine.submit(submission("gate", label: "first"))
        #expect(first.status == .working)
        let low1 = try await engine.submit(submission("gate", priority: 0, label: "low1"))
        let low2 = try await engine.submit(submission("gate", priority: 0, label: "low2"))
        let high = try await engine.submit(submission("gate", priority: 5, label: "high"))
        #expect(low1.status == .queued && low1.attempt == 0)
        #expect(low1.statusMessage == "queued: 0 tasks ahead")
        #expect(low2.statusMessage == "queued: 1 task ahead")
        #expect(high.statusMessage == "queued: 0 tasks ahead")
        let stats = await engine.statistics()
        #expect(stats.running == 1 && stats.queued == 3)
        #expect(stats.byStatus[.queued] == 3 && stats.byStatus[.working] == 1)

        runner.gate.open()
        for id in [first.id, low1.id, low2.id, high.id] { _ = try await terminal(engine, id) }
        #expect(runner.startOrder.withLock { $0 } == ["first", "high", "low1", "low2"])
        let started = try await engine.task(low2.id, for: .anonymous)
        #expect(started.history.map(\.status) == [.queued, .working, .completed])
        #expect(started.attempt == 1)
        let after = await engine.statistics()
        #expect(after.running == 0 && after.queued == 0 && after.byStatus[.completed] == 4)
    }

    @Test func perOwnerQuotaRejectsWithRetryAfter() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner) { $0.maxActiveTasksPerOwner = 2 }
        let alice = TaskOwner(principal: "alice")
        let a = try await engine.submit(submission("gate", owner: alice))
        _ = try await engine.submit(submission("gate", owner: alice))
        let error = await #expect(throws: TaskEngineError.self) {
            try await engine.submit(submission("gate", owner: alice))
        }
        guard case .quotaExceeded(let retryAfter) = error?.code else {
            Issue.record("expected quotaExceeded, got \(String(describing: error))")
            return
        }
        #expect(retryAfter >= 1)
        #expect(error?.message.contains("maxActiveTasksPerOwner") == true)
        // Another principal, and the same principal's sessions, count separately / together.
        _ = try await engine.submit(submission("gate", owner: TaskOwner(principal: "bob")))
        await #expect(throws: TaskEngineError.self) {
            try await engine.submit(submission("gate", owner: TaskOwner(principal: "alice", session: "s2")))
        }
        // Unauthenticated owners are counted per session.
        _ = try await engine.submit(submission("gate", owner: TaskOwner(session: "x")))
        _ = try await engine.submit(submission("gate", owner: TaskOwner(session: "x")))
        await #expect(throws: TaskEngineError.self) {
            try await engine.submit(submission("gate", owner: TaskOwner(session: "x")))
        }
        _ = try await engine.cancel(a.id, for: alice)
        _ = try await engine.submit(submission("gate", owner: alice))
        runner.gate.open()
    }

    @Test func submitAfterShutdownIsRefused() async throws {
        let engine = makeEngine()
        try await engine.start()
        await engine.shutdown()
        let error = await #expect(throws: TaskEngineError.self) { try await engine.submit(submission("instant")) }
        #expect(error?.code == .shuttingDown)
    }

    @Test func createdEventIsPublishedOnceAfterTheStoreHasTheTask() async throws {
        let store = MemoryTaskStore()
        let engine = makeEngine(store: store)
        let seen = EventLog(engine.events)
        let record = try await engine.submit(submission("instant"))
        _ = try await terminal(engine, record.id)
        #expect(seen.changes(for: record.id) == [.created, .status])
        #expect(try await store.task(record.id)?.status == .completed)
        let sequences = seen.all.map(\.sequence)
        #expect(sequences == Array(1...UInt64(sequences.count)))
    }
}
