import ErrandEngine
import ErrandProtocol
import Synchronization
import Testing

/// A memory store that remembers the most records one read of unfinished tasks returned, and whose updates
/// fail while `failingUpdates` is set.
final class RecoveryReadStore: TaskStore {
    let base: MemoryTaskStore
    let largestRead = Atomic<Int>(0)
    let pageReads = Atomic<Int>(0)
    let failingUpdates = Atomic<Bool>(false)
    struct Failure: Error {}

    init(tasks: [TaskRecord]) { base = MemoryTaskStore(tasks: tasks) }

    private func saw(_ records: [TaskRecord]) -> [TaskRecord] {
        largestRead.max(records.count, ordering: .relaxed)
        return records
    }

    func insert(_ task: TaskRecord) async throws { try await base.insert(task) }
    func update(_ task: TaskRecord) async throws {
        if failingUpdates.load(ordering: .relaxed) { throw Failure() }
        try await base.update(task)
    }
    func task(_ id: TaskID) async throws -> TaskRecord? { try await base.task(id) }
    func list(_ query: TaskStoreQuery) async throws -> [TaskRecord] { try await base.list(query) }
    func delete(_ ids: [TaskID]) async throws { try await base.delete(ids) }
    func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord] {
        try await base.expired(nowMs: nowMs, limit: limit)
    }
    func unfinished() async throws -> [TaskRecord] { saw(try await base.unfinished()) }
    func unfinished(after position: TaskListPosition?, limit: Int) async throws -> [TaskRecord] {
        pageReads.add(1, ordering: .relaxed)
        return saw(try await base.unfinished(after: position, limit: limit))
    }
    func counts() async throws -> [TaskStatus: Int] { try await base.counts() }
}

@Suite struct RecoveryPagingTests {
    /// Recovery reads unfinished tasks a page at a time, oldest first, and still recovers every one of them.
    @Test func startRecoversInPagesOldestFirst() async throws {
        let clock = ManualClock()
        let start = clock.nowMs() - 100_000
        // Pairs share a creation time, so pages also split between equal times (the id decides).
        let leftovers = (0..<250).map { index in
            var record = RecoveryTests.leftover(
                "instant", status: .queued, attempt: 0, createdAt: start + Int64(index / 2))
            record.arguments = ["label": .string(record.id.rawValue)]  // the runner records labels as it starts them
            return record
        }
        let runner = ScriptedRunner()
        let store = RecoveryReadStore(tasks: leftovers.shuffled())
        let engine = makeEngine(runner: runner, store: store, clock: clock) {
            $0.recoveryPageSize = 40
            $0.maxConcurrentTasks = 1  // tasks start in the order they were queued
        }
        try await engine.start()
        for record in leftovers { #expect(try await terminal(engine, record.id).status == .completed) }
        #expect(store.largestRead.load(ordering: .relaxed) <= 40)
        #expect(store.pageReads.load(ordering: .relaxed) == 7)  // 6 full pages and the last 10
        let expected = leftovers.sorted { TaskListPosition($1).precedes(TaskListPosition($0)) }.map(\.id.rawValue)
        #expect(runner.startOrder.withLock { $0 } == expected)
        await engine.shutdown()
    }

    /// The store's own page: oldest first, strictly after the position, ties broken by id.
    @Test func memoryStorePagesMatchTheOldestFirstOrder() async throws {
        let base: Int64 = 1_000
        let records = (0..<9).map { index in
            RecoveryTests.leftover("instant", status: .working, attempt: 1, createdAt: base + Int64(index / 3))
        }
        let finished = RecoveryTests.leftover("instant", status: .completed, attempt: 1, createdAt: base)
        let store = MemoryTaskStore(tasks: records + [finished])
        let ordered = records.sorted { TaskListPosition($1).precedes(TaskListPosition($0)) }
        var pages: [[TaskID]] = []
        var position: TaskListPosition?
        while true {
            let page = try await store.unfinished(after: position, limit: 4)
            guard !page.isEmpty else { break }
            pages.append(page.map(\.id))
            position = TaskListPosition(try #require(page.last))
        }
        #expect(pages.map(\.count) == [4, 4, 1])
        #expect(pages.flatMap { $0 } == ordered.map(\.id))
    }

    /// A task recovery must fail while the store refuses the write stays with the engine: it reads failed at
    /// once, and the engine stores it by itself once the store works again (before, it stayed `working` in the
    /// store, with no engine behind it, until the next start).
    @Test(.timeLimit(.minutes(1))) func recoveryThatCannotStoreFailedRetriesUntilItIsStored() async throws {
        let clock = ManualClock()
        let stuck = RecoveryTests.leftover("gate", status: .working, attempt: 1, createdAt: clock.nowMs() - 1000)
        let store = RecoveryReadStore(tasks: [stuck])
        store.failingUpdates.store(true, ordering: .relaxed)
        let engine = makeEngine(store: store, clock: clock)
        let log = EventLog(engine.events)
        defer { log.subscription.cancel() }
        try await engine.start()
        #expect(try await engine.task(stuck.id, for: .anonymous).status == .failed)
        #expect(try await store.task(stuck.id)?.status == .working)
        #expect(!log.all.contains { $0.task.id == stuck.id })  // nothing announced before it is stored
        let waiter = Task { try await engine.waitForTerminal(stuck.id, for: .anonymous, timeout: .seconds(30)) }

        store.failingUpdates.store(false, ordering: .relaxed)
        let done = try await waiter.value
        #expect(done.status == .failed)
        #expect(done.statusMessage == "Server restarted while the task was running")
        #expect(try await store.task(stuck.id)?.status == .failed)
        #expect(log.all.contains { $0.task.id == stuck.id && $0.task.status == .failed })
        #expect(await engine.statistics().byStatus == [.failed: 1])
        await engine.shutdown()
    }
}
