import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

/// A store whose updates fail while `failing` is set (disk full, I/O error), delegating everything else.
final class FlakyStore: TaskStore {
    let base = MemoryTaskStore()
    let failing = Atomic<Bool>(false)
    /// Updates refused while `failing`.
    let refused = Counter()
    struct Failure: Error {}

    func insert(_ task: TaskRecord) async throws { try await base.insert(task) }
    func update(_ task: TaskRecord) async throws {
        if failing.load(ordering: .relaxed) {
            refused.increment()
            throw Failure()
        }
        try await base.update(task)
    }
    func task(_ id: TaskID) async throws -> TaskRecord? { try await base.task(id) }
    func list(_ query: TaskStoreQuery) async throws -> [TaskRecord] { try await base.list(query) }
    func delete(_ ids: [TaskID]) async throws { try await base.delete(ids) }
    func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord] {
        try await base.expired(nowMs: nowMs, limit: limit)
    }
    func unfinished() async throws -> [TaskRecord] { try await base.unfinished() }
    func counts() async throws -> [TaskStatus: Int] { try await base.counts() }
}

@Suite struct StorageFailureTests {
    @Test(.timeLimit(.minutes(1))) func aFinalWriteThatFailsIsRetriedAndNotAnnouncedBeforeItIsStored() async throws {
        let store = FlakyStore()
        let runner = ScriptedRunner()
        let timerClock = ManualTimerClock()
        let engine = makeEngine(runner: runner, store: store, timerClock: timerClock)
        let log = EventLog(engine.events)
        defer { log.subscription.cancel() }
        let record = try await engine.submit(submission("gate"))
        let waiter = Task { try await engine.waitForTerminal(record.id, for: .anonymous) }
        #expect(await eventually { await engine.waiterCount(record.id) == 1 })
        store.failing.store(true, ordering: .relaxed)
        runner.gate.open()
        // The store refuses the final write; the engine retries a second later, is refused again, and sets the
        // next retry.
        await store.refused.wait(for: 1)
        try await timerClock.sleeping(dueWithin: .seconds(1))
        timerClock.advance(by: .seconds(1))
        await store.refused.wait(for: 2)
        try await timerClock.sleeping(dueWithin: .seconds(1))
        // Meanwhile no one heard "completed" and the waiter still waits.
        #expect(!log.all.contains { $0.task.id == record.id && $0.task.status == TaskStatus.completed })
        #expect(await engine.waiterCount(record.id) == 1)
        #expect(try await store.task(record.id)?.status == .working)
        // Once the store works again the engine's next retry stores it; then it is announced and the waiter wakes.
        store.failing.store(false, ordering: .relaxed)
        timerClock.advance(by: .seconds(1))
        let done = try await waiter.value
        #expect(done.status == .completed)
        #expect(try await store.task(record.id)?.status == .completed)
        #expect(log.all.contains { $0.task.id == record.id && $0.task.status == TaskStatus.completed })
        #expect(store.refused.value == 2)
    }
}
