import Synchronization

/// Keeps tasks in process memory, guarded by one lock. For tests and `--store memory`: nothing survives a restart.
///
/// Each task is kept as one compact byte array (see ``CompactTaskCoding``), about 200–300 bytes for a typical
/// finished tool call, so 100,000 retained tasks fit in a few tens of MiB. Lookups by id are hashed; listing
/// walks a position index kept sorted, so a page costs O(log n) to find its start plus the tasks it skips.
public final class MemoryTaskStore: TaskStore {
    private struct Stored {
        var bytes: [UInt8]
        var status: TaskStatus
        /// `Int64.max` when the task never expires.
        var expiresAt: Int64
    }

    private struct Position: Equatable {
        var createdAt: Int64
        var key: CompactTaskKey

        /// Newest first: larger `createdAt`, then larger id.
        func precedes(_ other: Position) -> Bool {
            createdAt != other.createdAt ? createdAt > other.createdAt : other.key < key
        }
    }

    private struct State {
        var records: [CompactTaskKey: Stored] = [:]
        /// Every stored task's position, oldest first.
        var order: [Position] = []
        var counts: [TaskStatus: Int] = [:]

        /// The index of the first position in `order` that is not older than `position`.
        func boundary(of position: Position) -> Int {
            var low = 0
            var high = order.count
            while low < high {
                let middle = (low + high) / 2
                if position.precedes(order[middle]) { low = middle + 1 } else { high = middle }
            }
            return low
        }

        mutating func insert(_ task: TaskRecord) {
            let key = CompactTaskKey(task.id)
            records[key] = Stored(
                bytes: CompactTaskCoding.encode(task), status: task.status, expiresAt: task.expiresAt ?? .max)
            counts[task.status, default: 0] += 1
            let position = Position(createdAt: task.createdAt, key: key)
            if let last = order.last, !position.precedes(last) {
                order.insert(position, at: boundary(of: position))
            } else {
                order.append(position)
            }
        }

        mutating func removeFromOrder(_ position: Position) {
            let index = boundary(of: position)
            if index < order.count, order[index] == position { order.remove(at: index) }
        }
    }

    private let state = Mutex(State())

    /// An empty store, or one holding `tasks` (for tests of recovery).
    public init(tasks: [TaskRecord] = []) {
        state.withLock { state in
            for task in tasks { state.insert(task) }
        }
    }

    public func insert(_ task: TaskRecord) async throws {
        try state.withLock { state throws(MemoryTaskStoreError) in
            guard state.records[CompactTaskKey(task.id)] == nil else { throw .duplicateID(task.id) }
            state.insert(task)
        }
    }

    public func update(_ task: TaskRecord) async throws {
        let bytes = CompactTaskCoding.encode(task)
        let key = CompactTaskKey(task.id)
        state.withLock { state in
            guard let index = state.records.index(forKey: key) else { return }
            let old = state.records.values[index]
            state.records.values[index] = Stored(bytes: bytes, status: task.status, expiresAt: task.expiresAt ?? .max)
            if old.status != task.status {
                state.counts[old.status, default: 0] -= 1
                state.counts[task.status, default: 0] += 1
            }
            let oldCreatedAt = CompactTaskCoding.header(old.bytes).createdAt
            if oldCreatedAt != task.createdAt {
                state.removeFromOrder(Position(createdAt: oldCreatedAt, key: key))
                let position = Position(createdAt: task.createdAt, key: key)
                state.order.insert(position, at: state.boundary(of: position))
            }
        }
    }

    public func task(_ id: TaskID) async throws -> TaskRecord? {
        let bytes = state.withLock { $0.records[CompactTaskKey(id)]?.bytes }
        return bytes.map(CompactTaskCoding.decode)
    }

    public func list(_ query: TaskStoreQuery) async throws -> [TaskRecord] {
        let limit = max(1, query.limit)
        let found = state.withLock { state -> [[UInt8]] in
            var found: [[UInt8]] = []
            var index =
                query.after.map { state.boundary(of: Position(createdAt: $0.createdAt, key: CompactTaskKey($0.id))) }
                ?? state.order.count
            while index > 0, found.count < limit {
                index -= 1
                let position = state.order[index]
                if let createdAfter = query.createdAfter, position.createdAt < createdAfter { break }
                guard let stored = state.records[position.key] else { continue }
                if let statuses = query.statuses, !statuses.contains(stored.status) { continue }
                let header = CompactTaskCoding.header(stored.bytes)
                guard
                    query.matches(
                        owner: header.owner, status: header.status, target: header.target,
                        createdAt: header.createdAt)
                else { continue }
                found.append(stored.bytes)
            }
            return found
        }
        return found.map(CompactTaskCoding.decode)
    }

    public func delete(_ ids: [TaskID]) async throws {
        state.withLock { state in
            var removed: [Position] = []
            for id in ids {
                let key = CompactTaskKey(id)
                guard let old = state.records.removeValue(forKey: key) else { continue }
                state.counts[old.status, default: 0] -= 1
                removed.append(Position(createdAt: CompactTaskCoding.header(old.bytes).createdAt, key: key))
            }
            if removed.count <= 16 {
                for position in removed { state.removeFromOrder(position) }
            } else {
                let keys = Set(removed.map(\.key))
                state.order.removeAll { keys.contains($0.key) }
            }
        }
    }

    public func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord] {
        let found = state.withLock { state -> [[UInt8]] in
            var found: [[UInt8]] = []
            for stored in state.records.values where stored.expiresAt <= nowMs && stored.status.isTerminal {
                found.append(stored.bytes)
                if found.count >= limit { break }
            }
            return found
        }
        return found.map(CompactTaskCoding.decode)
    }

    public func unfinished() async throws -> [TaskRecord] {
        let found = state.withLock { state in
            state.records.values.filter { !$0.status.isTerminal }.map(\.bytes)
        }
        return found.map(CompactTaskCoding.decode)
    }

    public func counts() async throws -> [TaskStatus: Int] {
        state.withLock { state in state.counts.filter { $0.value != 0 } }
    }
}

/// Why ``MemoryTaskStore`` refused a write.
public enum MemoryTaskStoreError: Error, Sendable, Hashable {
    case duplicateID(TaskID)
}
