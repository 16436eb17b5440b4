import ErrandProtocol
import Synchronization

/// A ``ClusterStore`` in process memory: several ``ClusterEngine``s ("nodes") in one process share it, as nodes
/// share a PostgreSQL database. For tests, and as the reference reading of the contract.
///
/// One lock guards everything, so every method is one atomic step: a claim takes its rows with no other claimer in
/// between (what `FOR UPDATE SKIP LOCKED` achieves row by row), and signals are sent under the lock, so every
/// subscriber receives them in the order the writes happened (as `NOTIFY` delivers them in commit order). Fencing
/// tokens come from one counter that only grows. Records are values: nothing handed out changes later.
///
/// Listing sorts the matching tasks on every call: fine for tests, not meant for many thousands of tasks.
public final class MemoryClusterStore: ClusterStore {
    let state = Mutex(MemoryClusterState())

    /// An empty store.
    public init() {}

    // MARK: Reads

    public func task(_ id: TaskID) async throws -> TaskRecord? {
        state.withLock { $0.rows[id]?.record }
    }

    public func list(_ query: TaskStoreQuery) async throws -> [TaskRecord] {
        let matching = state.withLock { state in
            state.rows.values.lazy.map(\.record).filter { record in
                query.matches(record) && query.isPastCursor(TaskListPosition(record))
            }
        }
        let newestFirst = matching.sorted { TaskListPosition($0).precedes(TaskListPosition($1)) }
        let ordered = query.oldestFirst ? Array(newestFirst.reversed()) : newestFirst
        return Array(ordered.prefix(max(1, query.limit)))
    }

    public func recordHeartbeat(_ heartbeat: NodeHeartbeat) async throws {
        state.withLock { $0.heartbeats[heartbeat.node] = heartbeat }
    }

    public func heartbeats(seenAfterMs: Int64) async throws -> [NodeHeartbeat] {
        state.withLock { $0.heartbeats.values.filter { $0.seenAtMs > seenAfterMs }.sorted { $0.node < $1.node } }
    }

    public func removeHeartbeat(node: String) async throws {
        _ = state.withLock { $0.heartbeats.removeValue(forKey: node) }
    }

    public func leaseHoldings() async throws -> [LeaseHolding] {
        state.withLock { state in
            var holdings: [String: LeaseHolding] = [:]
            for row in state.rows.values {
                guard let lease = row.lease, !row.record.status.isTerminal, row.record.status != .queued else {
                    continue
                }
                let key = lease.node + "\u{0}" + row.record.target
                var holding =
                    holdings[key]
                    ?? LeaseHolding(
                        node: lease.node, target: row.record.target, count: 0, earliestUntilMs: .max,
                        latestUntilMs: .min)
                holding.count += 1
                holding.earliestUntilMs = min(holding.earliestUntilMs, lease.untilMs)
                holding.latestUntilMs = max(holding.latestUntilMs, lease.untilMs)
                holdings[key] = holding
            }
            return Array(holdings.values)
        }
    }

    public func tally(visibleTo requester: TaskOwner) async throws -> TaskTally {
        state.withLock { state in
            var tally = TaskTally()
            for row in state.rows.values where requester.mayAccess(row.record.owner) {
                tally.add(1, target: row.record.target, status: row.record.status)
            }
            return tally
        }
    }

    public func counts() async throws -> [TaskStatus: Int] {
        state.withLock { state in
            state.rows.values.reduce(into: [:]) { counts, row in counts[row.record.status, default: 0] += 1 }
        }
    }

    public func activeCount(ownerKey: String) async throws -> Int {
        state.withLock { state in
            state.rows.values.count { !$0.record.status.isTerminal && $0.record.owner.quotaKey == ownerKey }
        }
    }

    public func queuedCount(ownerKey: String) async throws -> Int {
        state.withLock { state in
            state.rows.values.count { $0.record.status == .queued && $0.record.owner.quotaKey == ownerKey }
        }
    }

    public func setOwnerLimits(_ limits: OwnerLimits, ownerKey: String) async throws {
        state.withLock { $0.owners[ownerKey, default: .init()].limits = limits }
    }

    public func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord] {
        state.withLock { state in
            let expired = state.rows.values.lazy.map(\.record).filter { record in
                record.status.isTerminal && (record.expiresAt.map { $0 <= nowMs } ?? false)
            }
            return Array(expired.prefix(limit))
        }
    }

    // MARK: Writes that are not an attempt's

    public func insert(_ task: TaskRecord, origin: String, ownerLimit: Int, start: ImmediateStart?) async throws
        -> ClusterInsertOutcome
    {
        try state.withLock { state throws(MemoryClusterStoreError) in
            guard state.rows[task.id] == nil else { throw .duplicateID(task.id) }
            // One pass over the rows (tests hold thousands): the owner's unfinished tasks, and the runnable tasks
            // that wait.
            let ownerKey = task.owner.quotaKey
            let nowMs = start?.nowMs ?? .min
            var active = 0
            var runnable = 0
            for row in state.rows.values where !row.record.status.isTerminal {
                if row.record.owner.quotaKey == ownerKey { active += 1 }
                if row.record.status == .queued && row.runAfterMs <= nowMs { runnable += 1 }
            }
            guard active < ownerLimit else { return .ownerAtLimit(active: active) }
            if let start, runnable <= start.spareSlots, active < start.ownerConcurrentTasks ?? .max,
                let started = task.startingNextAttempt(at: start.nowMs)
            {
                state.lastFence += 1
                let lease = TaskLease(taskID: task.id, fence: state.lastFence)
                var row = MemoryClusterState.Row(record: started)
                row.lease = MemoryClusterState.Lease(
                    node: start.node, untilMs: start.nowMs + start.leaseMs, fence: lease.fence)
                state.rows[task.id] = row
                state.send(.changed(task.id, .created, status: .working), from: origin)
                return .started(ClaimedTask(record: started, lease: lease))
            }
            state.rows[task.id] = MemoryClusterState.Row(record: task)
            state.send(.changed(task.id, .created, status: task.status), from: origin)
            state.send(.wake, from: origin)
            return .inserted
        }
    }

    public func claim(node: String, limit: Int, nowMs: Int64, leaseMs: Int64) async throws -> [ClaimedTask] {
        try await claimBatch(node: node, limit: limit, nowMs: nowMs, leaseMs: leaseMs).tasks
    }

    public func claimBatch(node: String, limit: Int, nowMs: Int64, leaseMs: Int64) async throws -> ClaimBatch {
        guard limit > 0 else { return ClaimBatch(tasks: [], queuedRemain: true) }
        return state.withLock { state in
            var claimed: [ClaimedTask] = []
            for id in state.claimOrder(limit: limit, nowMs: nowMs) {
                guard var record = state.rows[id]?.record else { continue }
                record.attempt += 1
                guard record.apply(.working, message: nil, at: nowMs) else { continue }
                state.lastFence += 1
                let lease = TaskLease(taskID: record.id, fence: state.lastFence)
                state.rows[record.id]?.record = record
                state.rows[record.id]?.lease = MemoryClusterState.Lease(
                    node: node, untilMs: nowMs + leaseMs, fence: lease.fence)
                state.send(.changed(record.id, .status, status: .working), from: node)
                state.lastTurn += 1
                state.owners[record.owner.quotaKey, default: .init()].turn = state.lastTurn
                claimed.append(ClaimedTask(record: record, lease: lease))
            }
            let queuedRemain = state.rows.values.contains { $0.record.status == .queued }
            return ClaimBatch(tasks: claimed, queuedRemain: queuedRemain)
        }
    }

    /// Claim order: higher priority first, then older, then the smaller id (so the order is total).
    static func runsBefore(_ first: TaskRecord, _ second: TaskRecord) -> Bool {
        if first.priority != second.priority { return first.priority > second.priority }
        if first.createdAt != second.createdAt { return first.createdAt < second.createdAt }
        return first.id.rawValue.utf8.lexicographicallyPrecedes(second.id.rawValue.utf8)
    }

    public func cancel(_ id: TaskID, message: String, nowMs: Int64, origin: String) async throws
        -> ClusterCancelOutcome
    {
        state.withLock { state in
            guard var record = state.rows[id]?.record else { return .notFound }
            guard record.apply(.cancelled, message: message, at: nowMs) else { return .alreadyTerminal(record) }
            state.rows[id]?.record = record
            state.endAttempt(id)
            state.send(.changed(id, .status, status: .cancelled), from: origin)
            return .cancelled(record)
        }
    }

    public func reclaimExpiredLeases(
        nowMs: Int64, limit: Int, origin: String, decide: @Sendable (TaskRecord) -> TaskRecord
    ) async throws -> [TaskRecord] {
        state.withLock { state in
            let lapsed = state.rows.values.filter { row in
                guard let lease = row.lease else { return false }
                return lease.untilMs < nowMs && (row.record.status == .working || row.record.status == .inputRequired)
            }
            var stored: [TaskRecord] = []
            for row in lapsed.sorted(by: { Self.runsBefore($0.record, $1.record) }).prefix(limit) {
                var record = decide(row.record)
                record.id = row.record.id
                state.rows[record.id]?.record = record
                state.rows[record.id]?.runAfterMs = nowMs
                state.endAttempt(record.id)
                state.send(.changed(record.id, .status, status: record.status), from: origin)
                stored.append(record)
            }
            if stored.contains(where: { $0.status == .queued }) { state.send(.wake, from: origin) }
            return stored
        }
    }

    public func delete(_ ids: [TaskID], origin: String) async throws -> [TaskRecord] {
        state.withLock { state in
            var deleted: [TaskRecord] = []
            for id in ids {
                guard let record = state.rows[id]?.record, record.status.isTerminal else { continue }
                state.rows[id] = nil
                state.inputs[id] = nil
                state.send(.changed(id, .deleted, status: record.status), from: origin)
                deleted.append(record)
            }
            return deleted
        }
    }
}

/// Why ``MemoryClusterStore`` refused a write.
public enum MemoryClusterStoreError: Error, Sendable, Hashable {
    case duplicateID(TaskID)
}
