import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization

/// A ``MemoryTaskStore`` whose calls a test can hold at a chosen point until it lets them go, to pin down
/// what the engine does while it awaits the store.
///
/// An insert is held after the task was stored (the write happened, the engine has not heard back); an update
/// before it is written; `counts()` before it reads; `unfinished()` after it read (its answer is a snapshot).
final class GatedStore: TaskStore {
    /// Holds the calls of one kind while armed.
    final class Hold: Sendable {
        private let armed = Atomic<Bool>(false)
        private let gate = Gate()
        /// Calls that reached the hold while it was armed.
        let arrived = Counter()

        /// Holds every call from now until ``release()``.
        func arm() { armed.store(true, ordering: .sequentiallyConsistent) }

        /// Lets the held calls go on, and every later one.
        func release() {
            armed.store(false, ordering: .sequentiallyConsistent)
            gate.open()
        }

        func pass() async {
            guard armed.load(ordering: .sequentiallyConsistent) else { return }
            arrived.increment()
            await gate.wait()
        }
    }

    let base: MemoryTaskStore
    let inserts = Hold()
    let updates = Hold()
    let counting = Hold()
    let unfinishedReads = Hold()
    /// Tasks inserted.
    let inserted = Counter()
    /// Updates written.
    let written = Counter()

    init(tasks: [TaskRecord] = []) { base = MemoryTaskStore(tasks: tasks) }

    func insert(_ task: TaskRecord) async throws {
        try await base.insert(task)
        inserted.increment()
        await inserts.pass()
    }
    func update(_ task: TaskRecord) async throws {
        await updates.pass()
        try await base.update(task)
        written.increment()
    }
    func task(_ id: TaskID) async throws -> TaskRecord? { try await base.task(id) }
    func list(_ query: TaskStoreQuery) async throws -> [TaskRecord] { try await base.list(query) }
    func delete(_ ids: [TaskID]) async throws { try await base.delete(ids) }
    func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord] {
        try await base.expired(nowMs: nowMs, limit: limit)
    }
    func unfinished() async throws -> [TaskRecord] {
        let found = try await base.unfinished()
        await unfinishedReads.pass()
        return found
    }
    func counts() async throws -> [TaskStatus: Int] {
        await counting.pass()
        return try await base.counts()
    }
}
