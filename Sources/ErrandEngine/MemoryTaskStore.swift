import Synchronization

/// Keeps tasks in process memory, guarded by one lock. For tests and `--store memory`: nothing survives a restart.
///
/// Lookups by id are hashed; listing walks a position index kept sorted newest-last, so a page costs
/// O(log n) to find its start plus the tasks it skips for not matching the query.
public final class MemoryTaskStore: TaskStore {
    private struct State {
        var records: [TaskID: TaskRecord] = [:]
        /// Every stored task's position, oldest first.
        var order: [TaskListPosition] = []
        var counts: [TaskStatus: Int] = [:]

        /// The index of the first position in `order` that is not older than `position`.
        func boundary(of position: TaskListPosition) -> Int {
            var low = 0
            var high = order.count
            while low < high {
                let middle = (low + high) / 2
                if position.precedes(order[middle]) { low = middle + 1 } else { high = middle }
            }
            return low
        }

        mutating func removeFromOrder(_ position: TaskListPosition) {
            let index = boundary(of: position)
            if index < order.count, order[index] == position { order.remove(at: index) }
        }
    }

    private let state = Mutex(State())

    /// An empty store, or one holding `tasks` (for tests of recovery).
    public init(tasks: [TaskRecord] = []) {
        state.withLock { state in
            for task in tasks { Self.insert(task, into: &state) }
        }
    }

    public func insert(_ task: TaskRecord) async throws {
        try state.withLock { state throws(MemoryTaskStoreError) in
            guard state.records[task.id] == nil else { throw MemoryTaskStoreError.duplicateID(task.id) }
            Self.insert(task, into: &state)
        }
    }

    private static func insert(_ task: TaskRecord, into state: inout State) {
        state.records[task.id] = task
        state.counts[task.status, default: 0] += 1
        let position = TaskListPosition(task)
        if let last = state.order.last, !position.precedes(last) {
            state.order.insert(position, at: state.boundary(of: position))
        } else {
            state.order.append(position)
        }
    }

    public func update(_ task: TaskRecord) async throws {
        state.withLock { state in
            guard let index = state.records.index(forKey: task.id) else { return }
            let old = state.records.values[index]
            state.records.values[index] = task
            if old.status != task.status {
                state.counts[old.status, default: 0] -= 1
                state.counts[task.status, default: 0] += 1
            }
            if old.createdAt != task.createdAt {
                state.removeFromOrder(TaskListPosition(old))
                let position = TaskListPosition(task)
                state.order.insert(position, at: state.boundary(of: position))
            }
        }
    }

    public func task(_ id: TaskID) async throws -> TaskRecord? {
        state.withLock { $0.records[id] }
    }

    public func list(_ query: TaskStoreQuery) async throws -> [TaskRecord] {
        let limit = max(1, query.limit)
        return state.withLock { state in
            var result: [TaskRecord] = []
            var index = query.after.map { state.boundary(of: $0) } ?? state.order.count
            while index > 0, result.count < limit {
                index -= 1
                let position = state.order[index]
                if let createdAfter = query.createdAfter, position.createdAt < createdAfter { break }
                guard let task = state.records[position.id], query.matches(task) else { continue }
                result.append(task)
            }
            return result
        }
    }

    public func delete(_ ids: [TaskID]) async throws {
        state.withLock { state in
            var removed: [TaskListPosition] = []
            for id in ids {
                guard let old = state.records.removeValue(forKey: id) else { continue }
                state.counts[old.status, default: 0] -= 1
                removed.append(TaskListPosition(old))
            }
            if removed.count <= 16 {
                for position in removed { state.removeFromOrder(position) }
            } else {
                let removedIDs = Set(removed.map(\.id))
                state.order.removeAll { removedIDs.contains($0.id) }
            }
        }
    }

    public func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord] {
        state.withLock { state in
            var result: [TaskRecord] = []
            for task in state.records.values where task.status.isTerminal {
                guard let expiresAt = task.expiresAt, expiresAt <= nowMs else { continue }
                result.append(task)
                if result.count >= limit { break }
            }
            return result
        }
    }

    public func unfinished() async throws -> [TaskRecord] {
        state.withLock { state in state.records.values.filter { !$0.status.isTerminal } }
    }

    public func counts() async throws -> [TaskStatus: Int] {
        state.withLock { state in state.counts.filter { $0.value != 0 } }
    }
}

/// Why ``MemoryTaskStore`` refused a write.
public enum MemoryTaskStoreError: Error, Sendable, Hashable {
    case duplicateID(TaskID)
}
