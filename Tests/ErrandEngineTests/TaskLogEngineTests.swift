import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Testing

/// Log lines of running tasks: published at once, stored with the task, seen on every node.
@Suite struct TaskLogEngineTests {
    /// The lines of every `.log` event of `id`, in the order they were published.
    static func loggedLines(_ events: EventLog, _ id: TaskID) -> [TaskLogLine] { loggedLines(events.all, id) }

    static func loggedLines(_ events: [TaskEvent], _ id: TaskID) -> [TaskLogLine] {
        events.filter { $0.task.id == id }.flatMap { event -> [TaskLogLine] in
            if case .log(let lines) = event.change { return lines }
            return []
        }
    }

    @Test(.timeLimit(.minutes(1))) func linesArePublishedAtOnceAndStoredWithinTheDelay() async throws {
        let runner = ScriptedRunner()
        let store = MemoryTaskStore()
        let timerClock = ManualTimerClock()
        let engine = makeEngine(runner: runner, store: store, timerClock: timerClock) {
            $0.logStoreDelay = .milliseconds(20)
        }
        try await engine.start()
        let events = EventLog(engine.events)
        let record = try await engine.submit(submission("log"))
        try await events.wait { Self.loggedLines($0, record.id).count == 3 }
        #expect(Self.loggedLines(events, record.id).map(\.text) == ["line 1", "line 2", "line 3"])
        #expect(Self.loggedLines(events, record.id).map(\.level) == [.info, .warning, .info])
        // Still running, the lines reach the store when the delay's timer fires, not before.
        try await timerClock.sleeping(dueWithin: .milliseconds(20))
        #expect(timerClock.pendingDelays.first == .milliseconds(20))
        #expect(try await store.task(record.id)?.log.lastSequence == 0)
        timerClock.advance(by: .milliseconds(20))
        #expect(try await eventually { try await store.task(record.id)?.log.lastSequence == 3 })
        #expect(try await store.task(record.id)?.status == .working)
        runner.gate.open()
        let done = try await terminal(engine, record.id)
        #expect(done.log.lines.map(\.text) == ["line 1", "line 2", "line 3", "line 4"])
        #expect(try await store.task(record.id)?.log == done.log)
        // The log event comes before the terminal status: a follower that stops at the end misses nothing.
        let changes = events.changes(for: record.id)
        let lastLog = changes.lastIndex { if case .log = $0 { return true } else { return false } }
        #expect(lastLog != nil && lastLog! < changes.lastIndex(of: .status)!)
        await engine.shutdown()
    }

    @Test func linesOfAnAttemptThatEndedAreIgnored() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner)
        try await engine.start()
        let record = try await engine.submit(submission("log"))
        #expect(await eventually { await (try? engine.task(record.id, for: .anonymous))?.log.lastSequence == 3 })
        _ = try await engine.cancel(record.id, for: .anonymous)
        runner.gate.open()  // the attempt logs "line 4" after its task was cancelled
        await engine.shutdown()
        let stored = try await engine.task(record.id, for: .anonymous)
        #expect(stored.status == .cancelled)
        #expect(stored.log.lines.map(\.text) == ["line 1", "line 2", "line 3"])
    }

    @Test(.timeLimit(.minutes(1))) func aNodeSeesTheLinesOfATaskAnotherNodeRuns() async throws {
        let store = MemoryClusterStore()
        let runner = ScriptedRunner()
        let serve = makeNode("A", store: store, slots: 0)
        let workerClock = ManualTimerClock()
        let worker = makeNode("W", store: store, runner: runner, timerClock: workerClock) {
            $0.engine.logStoreDelay = .milliseconds(20)
        }
        try await serve.start()
        try await worker.start()
        let seenOnA = EventLog(serve.events)
        let record = try await serve.submit(submission("log"))
        // Stored by W's timer while the task still runs, then read by A.
        try await workerClock.sleeping(dueWithin: .milliseconds(20))
        #expect(Self.loggedLines(seenOnA, record.id).isEmpty)
        workerClock.advance(by: .milliseconds(20))
        try await seenOnA.wait { Self.loggedLines($0, record.id).count == 3 }
        runner.gate.open()
        _ = try await ended(serve, record.id)
        let stored = try await serve.task(record.id, for: .anonymous)
        #expect(stored.log.lines.map(\.text) == ["line 1", "line 2", "line 3", "line 4"])
        #expect(await eventually { Self.loggedLines(seenOnA, record.id).count == 4 })
        #expect(Self.loggedLines(seenOnA, record.id).map(\.sequence) == [1, 2, 3, 4])
        await serve.shutdown()
        await worker.shutdown()
    }
}
