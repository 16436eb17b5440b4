import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

@Suite struct CancelTests {
    @Test func cancellingARunningTaskStopsItsWorkPromptly() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner)
        let seen = EventLog(engine.events)
        let record = try await engine.submit(submission("sleep"))
        await runner.started.wait(for: 1)
        let clock = ContinuousClock()
        let start = clock.now
        let cancelled = try await engine.cancel(record.id, for: .anonymous)
        #expect(cancelled.status == .cancelled)
        #expect(cancelled.statusMessage == "Cancelled by request")
        #expect(try await engine.task(record.id, for: .anonymous).status == .cancelled)
        await runner.cancellations.wait(for: 1)  // the handler's 60 s sleep observed the cancellation
        #expect(clock.now - start < .seconds(5))
        #expect(await eventually { await engine.statistics().running == 0 })
        // The handler's own (failed) result after cancellation is discarded.
        let final = try await engine.task(record.id, for: .anonymous)
        #expect(final.status == .cancelled)
        #expect(final.history.map(\.status) == [.working, .cancelled])
        #expect(seen.changes(for: record.id) == [.created, .status])
    }

    @Test func cancelStoresTheStatusBeforeReturning() async throws {
        let store = MemoryTaskStore()
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner, store: store)
        let record = try await engine.submit(submission("gate"))
        _ = try await engine.cancel(record.id, for: .anonymous, reason: "user pressed stop")
        let stored = try await store.task(record.id)
        #expect(stored?.status == .cancelled)
        #expect(stored?.statusMessage == "user pressed stop")
        runner.gate.open()
    }

    @Test func cancellingAQueuedTaskRemovesItFromTheQueue() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner) { $0.maxConcurrentTasks = 1 }
        let first = try await engine.submit(submission("gate", label: "first"))
        let queued = try await engine.submit(submission("gate", label: "queued"))
        let last = try await engine.submit(submission("gate", label: "last"))
        let cancelled = try await engine.cancel(queued.id, for: .anonymous)
        #expect(cancelled.status == .cancelled)
        #expect(cancelled.history.map(\.status) == [.queued, .cancelled])
        #expect(await engine.statistics().queued == 1)
        runner.gate.open()
        _ = try await terminal(engine, first.id)
        _ = try await terminal(engine, last.id)
        #expect(runner.startOrder.withLock { $0 } == ["first", "last"])
    }

    @Test(arguments: ["instant", "fail"])
    func cancellingATerminalTaskIsRefused(target: String) async throws {
        let engine = makeEngine()
        let record = try await engine.submit(submission(target))
        let done = try await terminal(engine, record.id)
        let error = await #expect(throws: TaskEngineError.self) { try await engine.cancel(record.id, for: .anonymous) }
        #expect(error?.code == .alreadyTerminal(done.status))
        #expect(error?.message == "Cannot cancel task: already in terminal status '\(done.status.rawValue)'")
    }

    @Test func cancellingAnUnknownTaskIsNotFound() async throws {
        let engine = makeEngine()
        let error = await #expect(throws: TaskEngineError.self) {
            try await engine.cancel(TaskID.random(), for: .anonymous)
        }
        #expect(error?.code == .notFound)
        #expect(error?.message == "Task not found")
    }

    @Test func aLateResultAfterCancelIsDiscarded() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner)
        let record = try await engine.submit(submission("stubborn"))
        await runner.started.wait(for: 1)
        _ = try await engine.cancel(record.id, for: .anonymous)
        runner.gate.open()  // the handler ignored cancellation and now reports success
        #expect(await eventually { await engine.statistics().running == 0 })
        let final = try await engine.task(record.id, for: .anonymous)
        #expect(final.status == .cancelled)
        #expect(final.outcome == nil)
    }

    @Test(.timeLimit(.minutes(1))) func cancelReleasesWaiters() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner)
        let record = try await engine.submit(submission("gate"))
        async let waited = engine.waitForTerminal(record.id, for: .anonymous)
        #expect(await eventually { await engine.waiterCount(record.id) == 1 })  // it waits before the cancel
        _ = try await engine.cancel(record.id, for: .anonymous)
        #expect(try await waited.status == .cancelled)
        runner.gate.open()
    }
}
