import Synchronization

/// Keeps tasks in process memory, guarded by one lock. For tests and `--store memory`: nothing survives a restart.
///
/// Each task is kept as one compact byte array (see ``TaskRecordCodec``), about 150–300 bytes for a typical
/// finished tool call, in tables that add about 70 bytes per task (see ``MemoryTaskIndex``): 100,000 retained
/// tasks fit in a few tens of MiB. Lookups by id are hashed; listing walks a sorted order, so a page costs
/// O(log n) to find its start plus the tasks it skips for not matching. Reads decode a fresh record.
public final class MemoryTaskStore: TaskStore {
    private struct State {
        var index = MemoryTaskIndex()
        var counts: [TaskStatus: Int] = [:]
        /// Tasks per owner, target and status, for ``tally(visibleTo:)``.
        var tally: [TallyKey: Int] = [:]

        mutating func insert(_ task: TaskRecord) {
            tally.add(1, TallyKey(owner: task.owner, target: task.target, status: task.status))
            index.insert(
                MemoryTaskIndex.Entry(
                    key: CompactTaskKey(task.id), createdAt: task.createdAt, expiresAt: task.expiresAt ?? .max,
                    bytes: TaskRecordCodec.encode(task), status: task.status, isLive: true))
            counts[task.status, default: 0] += 1
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
        let key = CompactTaskKey(task.id)
        try state.withLock { state throws(MemoryTaskStoreError) in
            guard state.index.index(of: key) == nil else { throw .duplicateID(task.id) }
            state.insert(task)
        }
    }

    public func update(_ task: TaskRecord) async throws {
        let bytes = TaskRecordCodec.encode(task)
        let key = CompactTaskKey(task.id)
        state.withLock { state in
            guard let position = state.index.index(of: key) else { return }
            let old = state.index[position]
            state.index[position].bytes = bytes
            state.index[position].status = task.status
            state.index[position].expiresAt = task.expiresAt ?? .max
            if old.status != task.status {
                state.counts[old.status, default: 0] -= 1
                state.counts[task.status, default: 0] += 1
                state.tally.add(-1, TallyKey(owner: task.owner, target: task.target, status: old.status))
                state.tally.add(1, TallyKey(owner: task.owner, target: task.target, status: task.status))
            }
            if old.createdAt != task.createdAt { state.index.setCreatedAt(task.createdAt, at: position) }
        }
    }

    public func task(_ id: TaskID) async throws -> TaskRecord? {
        let key = CompactTaskKey(id)
        let bytes = state.withLock { state in state.index.index(of: key).map { state.index[$0].bytes } }
        return bytes.map(TaskRecordCodec.decode(trusted:))
    }

    public func list(_ query: TaskStoreQuery) async throws -> [TaskRecord] {
        let limit = max(1, query.limit)
        let afterKey = query.after.map { CompactTaskKey($0.id) }
        let found = state.withLock { state -> [[UInt8]] in
            var found: [[UInt8]] = []
            let order = state.index.order
            // Newest first walks `order` (oldest first) downwards from the end or the cursor; oldest first upwards.
            var position = query.oldestFirst ? 0 : order.count
            if let after = query.after, let afterKey {
                position = state.index.boundary(createdAt: after.createdAt, key: afterKey)
                if query.oldestFirst, position < order.count, state.index[Int(order[position])].key == afterKey {
                    position += 1
                }
            }
            while found.count < limit {
                let entry: MemoryTaskIndex.Entry
                if query.oldestFirst {
                    guard position < order.count else { break }
                    entry = state.index[Int(order[position])]
                    position += 1
                    if let createdBefore = query.createdBefore, entry.createdAt >= createdBefore { break }
                } else {
                    guard position > 0 else { break }
                    position -= 1
                    entry = state.index[Int(order[position])]
                    if let createdAfter = query.createdAfter, entry.createdAt < createdAfter { break }
                }
                if let statuses = query.statuses, !statuses.contains(entry.status) { continue }
                let header = TaskRecordCodec.header(trusted: entry.bytes)
                guard
                    query.matches(
                        owner: header.owner, status: header.status, target: header.target,
                        createdAt: header.createdAt)
                else { continue }
                // The parent is in the body: decode only when a list asks for one parent's tasks.
                if let parent = query.parent, TaskRecordCodec.decode(trusted: entry.bytes).parent != parent { continue }
                found.append(entry.bytes)
            }
            return found
        }
        return found.map(TaskRecordCodec.decode(trusted:))
    }

    public func delete(_ ids: [TaskID]) async throws {
        let keys = ids.map(CompactTaskKey.init)
        state.withLock { state in
            for entry in state.index.remove(keys) {
                state.counts[entry.status, default: 0] -= 1
                let header = TaskRecordCodec.header(trusted: entry.bytes)
                state.tally.add(-1, TallyKey(owner: header.owner, target: header.target, status: entry.status))
            }
        }
    }

    public func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord] {
        let found = state.withLock { state -> [[UInt8]] in
            var found: [[UInt8]] = []
            for entry in state.index.entries where entry.isLive && entry.expiresAt <= nowMs && entry.status.isTerminal {
                found.append(entry.bytes)
                if found.count >= limit { break }
            }
            return found
        }
        return found.map(TaskRecordCodec.decode(trusted:))
    }

    public func unfinished() async throws -> [TaskRecord] {
        let found = state.withLock { state in
            state.index.entries.filter { $0.isLive && !$0.status.isTerminal }.map(\.bytes)
        }
        return found.map(TaskRecordCodec.decode(trusted:))
    }

    public func unfinished(after position: TaskListPosition?, limit: Int) async throws -> [TaskRecord] {
        try await unfinished().oldestFirstPage(after: position, limit: limit)
    }

    public func counts() async throws -> [TaskStatus: Int] {
        state.withLock { state in state.counts.filter { $0.value != 0 } }
    }

    /// From a running table kept by every write: O(owners × targets × statuses), not O(tasks).
    public func tally(visibleTo requester: TaskOwner) async throws -> TaskTally {
        state.withLock { state in state.tally.tally(visibleTo: requester) }
    }
}

/// Why ``MemoryTaskStore`` refused a write.
public enum MemoryTaskStoreError: Error, Sendable, Hashable {
    case duplicateID(TaskID)
}
