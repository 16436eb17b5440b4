import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

/// A store whose updates fail while `failing` is set (disk full, I/O error), delegating everything else.
final class FlakyStore: TaskStore {
    let base = MemoryTaskStore()
    let failing = Atomic<Bool>(false)
    struct Failure: Error {}

    func insert(_ task: TaskRecord) async throws { try await base.insert(task) }
    func update(_ task: TaskRecord) async throws {
        if failing.load(ordering: .relaxed) { throw Failure() }
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
        let engine = makeEngine(runner: runner, store: store)
        let log = EventLog(engine.events)
        defer { log.subscription.cancel() }
        let record = try await engine.submit(submission("gate"))
        store.failing.store(true, ordering: .relaxed)
        let returned = Atomic<Bool>(false)
        let waiter = Task {
            defer { returned.store(true, ordering: .relaxed) }
            return try await engine.waitForTerminal(record.id, for: .anonymous)
        }
        runner.gate.open()
        // While the store refuses the write: no one hears "completed" and waiters keep waiting.
        try await Task.sleep(for: .milliseconds(300))
        #expect(!log.all.contains { $0.task.id == record.id && $0.task.status == TaskStatus.completed })
        #expect(returned.load(ordering: .relaxed) == false)
        #expect(try await store.task(record.id)?.status != .completed)
        // Once the store works again the engine's own retry stores it; then it is announced and waiters wake.
        store.failing.store(false, ordering: .relaxed)
        let done = try await waiter.value
        #expect(done.status == .completed)
        #expect(try await store.task(record.id)?.status == .completed)
        #expect(log.all.contains { $0.task.id == record.id && $0.task.status == TaskStatus.completed })
    }
}
