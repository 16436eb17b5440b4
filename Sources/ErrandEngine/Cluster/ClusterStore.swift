public import ErrandProtocol

/// A database that several processes (nodes) share, each running a ``ClusterEngine``: PostgreSQL in production,
/// ``MemoryClusterStore`` for tests (several engines in one process).
///
/// Unlike a ``TaskStore``, a cluster store has many writers. Every write that belongs to an attempt carries the
/// attempt's fencing token and is refused once the task no longer carries that token (the lease lapsed and the
/// task was taken over, or it was cancelled), so a node that lost its lease can never overwrite the work of the
/// attempt that replaced it. Writes that are not an attempt's (insert, cancel, lease takeover, delete) are
/// atomic read-modify-writes under the store's own row lock.
///
/// Every successful write is announced to the other nodes as a ``ClusterSignal`` (PostgreSQL: `NOTIFY` in the
/// same transaction, so a signal is sent if and only if the write committed). A node is not sent its own signals;
/// the origin of an attempt's write (which names no origin) is the node holding the attempt's lease.
///
/// Open input requests belong to the attempt that opened them: they are dropped when that attempt ends — a write of
/// `queued` or of a terminal status, a cancel, a lease takeover, a delete — so that an answer can never reach a
/// later attempt or outlive the task.
public protocol ClusterStore: Sendable {
    // MARK: Reads

    /// The task with `id`, or `nil` if none is stored.
    func task(_ id: TaskID) async throws -> TaskRecord?

    /// The stored tasks among `ids`, by id (ids of tasks not stored are left out): one read for a node that
    /// learned of many changes at once. The default reads them one by one with ``task(_:)``.
    func tasks(_ ids: [TaskID]) async throws -> [TaskID: TaskRecord]

    /// As ``TaskStore/list(_:)``: newest first by (`createdAt`, `id`), at most `query.limit`.
    func list(_ query: TaskStoreQuery) async throws -> [TaskRecord]

    /// How many tasks are stored in each status.
    func counts() async throws -> [TaskStatus: Int]

    /// How many stored tasks `requester` may see, per target and status (as ``TaskStore/tally(visibleTo:)``).
    func tally(visibleTo requester: TaskOwner) async throws -> TaskTally

    /// The leases held now on `working` and `input_required` tasks, per node and target (for the dashboard).
    func leaseHoldings() async throws -> [LeaseHolding]

    /// Stores `heartbeat`, replacing the node's previous one.
    func recordHeartbeat(_ heartbeat: NodeHeartbeat) async throws

    /// The latest heartbeat of every node that wrote one after `seenAfterMs`, by node name.
    func heartbeats(seenAfterMs: Int64) async throws -> [NodeHeartbeat]

    /// Forgets the node's heartbeat (it stopped cleanly).
    func removeHeartbeat(node: String) async throws

    /// How many non-terminal tasks the owner with this ``TaskOwner/quotaKey`` has.
    func activeCount(ownerKey: String) async throws -> Int

    /// How many `queued` tasks the owner with this ``TaskOwner/quotaKey`` has (its ``OwnerLimits/queuedTasks``).
    func queuedCount(ownerKey: String) async throws -> Int

    /// Up to `limit` terminal tasks whose `expiresAt` is at or before `nowMs`.
    func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord]

    // MARK: Writes that are not an attempt's

    /// Stores a new `queued` task (attempt 0, no lease) and signals `.changed(.created)` and then
    /// ``ClusterSignal/wake``, unless its owner (``TaskOwner/quotaKey``) already has `ownerLimit` or more
    /// non-terminal tasks: then it stores nothing and says how many. The count and the insert are one step of the
    /// store (one statement in PostgreSQL), but two nodes inserting for one owner at the same moment may both pass:
    /// the limit is soft across nodes.
    ///
    /// With `start` (the submitting node holds a free worker slot for the task), when no runnable task is queued
    /// (status `queued`, `runAfter <= start.nowMs`) the task is stored already claimed by `start.node`, exactly as
    /// ``claim(node:limit:nowMs:leaseMs:)`` would store it (`working`, `attempt + 1`, a lease, a new fencing token),
    /// signalled `.changed(.created)` with status `working` and no wake, and returned as `.started`: a task that
    /// waits behind nobody skips the claim. With runnable tasks queued it is stored queued, behind them.
    /// - Throws: if a task with the same id exists, or the write failed.
    func insert(_ task: TaskRecord, origin: String, ownerLimit: Int, start: ImmediateStart?) async throws
        -> ClusterInsertOutcome

    /// Stores the limits of the owner with this ``TaskOwner/quotaKey``, replacing the ones stored before: claims
    /// on every node apply its ``OwnerLimits/concurrentTasks`` to all of its tasks, whichever node submitted them.
    func setOwnerLimits(_ limits: OwnerLimits, ownerKey: String) async throws

    /// Atomically takes up to `limit` runnable tasks for `node`: status `queued` and `runAfter <= nowMs`, in the
    /// order a ``TaskEngine`` starts them — highest `priority` first; within one priority, round-robin across
    /// owners (``TaskOwner/quotaKey``): each owner's oldest task, then each owner's second oldest, and so on, the
    /// owners in the order of their last turn (the owner a claim served longest ago first; each claimed task
    /// gives its owner a new turn); within an owner, oldest `createdAt` first. An owner whose stored
    /// ``OwnerLimits/concurrentTasks`` (``setOwnerLimits(_:ownerKey:)``) is reached by its `working` and
    /// `input_required` tasks gets none; it is counted when the claim begins, so two claims at the same moment
    /// may together start one task too many for an owner (PostgreSQL; the memory store is exact).
    ///
    /// Rows another claimer is taking at the same moment are skipped, not waited for (`FOR UPDATE SKIP LOCKED`).
    /// Each claimed task is stored `working` with `attempt + 1`, a history entry, a lease held by `node` until
    /// `nowMs + leaseMs`, and a fencing token greater than every token issued before by this store. Signals
    /// `.changed(.status)` for each. Returns them in claim order.
    func claim(node: String, limit: Int, nowMs: Int64, leaseMs: Int64) async throws -> [ClaimedTask]

    /// Claims as ``claim(node:limit:nowMs:leaseMs:)`` does, and tells whether queued tasks remain besides the
    /// claimed ones (runnable or not: waiting out a retry backoff, or of an owner at its `concurrentTasks`). A node
    /// whose claim left nothing queued skips the claim when a slot frees: new work comes with a
    /// ``ClusterSignal/wake``. The default claims and answers `true` (always claim when a slot frees).
    func claimBatch(node: String, limit: Int, nowMs: Int64, leaseMs: Int64) async throws -> ClaimBatch

    /// Cancels a non-terminal task: applies `cancelled` with `message` at `nowMs` (history included), clears
    /// its lease and fencing token so the running attempt's later writes are refused, and signals
    /// `.changed(.status)` (the node running it sees status `cancelled` and stops the work).
    func cancel(_ id: TaskID, message: String, nowMs: Int64, origin: String) async throws -> ClusterCancelOutcome

    /// Takes back every `working` or `input_required` task whose lease ended before `nowMs` (its node died or
    /// stalled): up to `limit` of them, skipping rows locked by others. For each, `decide` returns the record to
    /// store — queued again (a new attempt will be claimed) or failed — and the store clears the lease and the
    /// fencing token, sets `runAfter` to `nowMs`, stores it, and signals `.changed(.status)` (plus ``ClusterSignal/wake``
    /// if any was queued). Returns the stored records.
    func reclaimExpiredLeases(
        nowMs: Int64, limit: Int, origin: String, decide: @Sendable (TaskRecord) -> TaskRecord
    ) async throws -> [TaskRecord]

    /// Deletes the tasks with these ids that are terminal (others and unknown ids are ignored) and signals
    /// `.changed(.deleted)` for each deleted one. Returns the deleted records.
    func delete(_ ids: [TaskID], origin: String) async throws -> [TaskRecord]

    // MARK: Writes that belong to an attempt (fenced)

    /// Stores `record` — progress, `working` ⇄ `input_required`, a final status, or `queued` for a retry — if the
    /// task still carries `lease.fence` and is not terminal; else writes nothing and returns `false`.
    ///
    /// A `queued` record ends the attempt: the lease and the token are cleared and `runAfter` is set to
    /// `runAfterMs` (a retry backoff; `nil`: runnable at once), and ``ClusterSignal/wake`` is signalled. A terminal
    /// record also clears the lease. Signals `change` for the task.
    func write(_ record: TaskRecord, lease: TaskLease, change: ClusterChange, runAfterMs: Int64?) async throws -> Bool

    /// Extends the leases `node` holds to `untilMs`. Returns the ids among `leases` whose token the task no longer
    /// carries (cancelled, taken over, deleted): their attempts must stop.
    func renew(node: String, leases: [TaskLease], untilMs: Int64) async throws -> Set<TaskID>

    // MARK: Input requests (the attempt runs on one node, the client that answers may be on another)

    /// Stores `record` (status `input_required`) and the open request `requestID` if the token matches (as
    /// ``write(_:lease:change:runAfterMs:)``), and signals `.changed(.inputRequested(requestID))`.
    func openInputRequest(_ record: TaskRecord, lease: TaskLease, requestID: String, request: JSONValue)
        async throws -> Bool

    /// The request of an open, unanswered input request, or `nil`.
    func inputRequest(taskID: TaskID, requestID: String) async throws -> JSONValue?

    /// Records the answer to an open, unanswered request and signals ``ClusterSignal/inputAnswered(_:requestID:)``.
    /// Returns `false` if the request is unknown or already answered.
    func answerInputRequest(taskID: TaskID, requestID: String, response: JSONValue, origin: String) async throws -> Bool

    /// The answer to `requestID` if one was recorded, removing the request; `nil` (and the request stays open) if it
    /// is unanswered or unknown.
    func takeInputAnswer(taskID: TaskID, requestID: String) async throws -> JSONValue?

    // MARK: Signals

    /// The signals other nodes' writes send, for `node` (its own writes are not echoed). After the store lost and
    /// regained its connection to the database it yields ``ClusterSignal/resynchronize``: signals may have been
    /// missed, so re-read what matters. Call once per node; the stream ends when the store closes.
    func signals(node: String) -> AsyncStream<ClusterSignal>
}

extension ClusterStore {
    public func tasks(_ ids: [TaskID]) async throws -> [TaskID: TaskRecord] {
        var found: [TaskID: TaskRecord] = [:]
        for id in ids where found[id] == nil {
            if let record = try await task(id) { found[id] = record }
        }
        return found
    }
}

/// One attempt's hold on a task: the fencing token every write of the attempt carries.
public struct TaskLease: Sendable, Hashable {
    public var taskID: TaskID
    public var fence: Int64
    public init(taskID: TaskID, fence: Int64) {
        self.taskID = taskID
        self.fence = fence
    }
}

/// A task ``ClusterStore/claim(node:limit:nowMs:leaseMs:)`` handed to a node: as stored (`working`, new attempt).
public struct ClaimedTask: Sendable, Hashable {
    public var record: TaskRecord
    public var lease: TaskLease
    public init(record: TaskRecord, lease: TaskLease) {
        self.record = record
        self.lease = lease
    }
}

public enum ClusterCancelOutcome: Sendable, Hashable {
    case cancelled(TaskRecord)
    case alreadyTerminal(TaskRecord)
    case notFound
}

/// What kind of change a signal announces; maps onto ``TaskEvent/Change`` (the request of `.inputRequested` is
/// read with ``ClusterStore/inputRequest(taskID:requestID:)``).
public enum ClusterChange: Sendable, Hashable {
    case created
    case status
    case progress
    case inputRequested(requestID: String)
    case deleted
}

/// What another node did.
public enum ClusterSignal: Sendable, Hashable {
    /// Runnable work may be waiting: claim if a slot is free.
    case wake
    /// Another node stored a change of the task; `status` is its status after the change.
    case changed(TaskID, ClusterChange, status: TaskStatus)
    /// An input request of a task was answered (the node running the task takes the answer).
    case inputAnswered(TaskID, requestID: String)
    /// Signals may have been lost (the connection to the database dropped and came back).
    case resynchronize
}

/// A node's offer to run a new task at once (see ``ClusterStore/insert(_:origin:ownerLimit:start:)``).
public struct ImmediateStart: Sendable, Hashable {
    /// The node that holds a free worker slot for the task.
    public var node: String
    /// Now, for the claim's time and for which queued tasks count as runnable.
    public var nowMs: Int64
    public var leaseMs: Int64
    /// The node's other free worker slots. The task starts at once when at most this many runnable tasks are
    /// queued: the node can take each of them too, so starting this one first delays none of them.
    public var spareSlots: Int
    /// The owner's `concurrentTasks`, if any. The task starts at once only while the owner's unfinished tasks
    /// (queued ones included, so at least its running ones) are fewer.
    public var ownerConcurrentTasks: Int?

    public init(node: String, nowMs: Int64, leaseMs: Int64, spareSlots: Int = 0, ownerConcurrentTasks: Int? = nil) {
        self.node = node
        self.nowMs = nowMs
        self.leaseMs = leaseMs
        self.spareSlots = spareSlots
        self.ownerConcurrentTasks = ownerConcurrentTasks
    }
}

/// The tasks a claim took, and whether queued tasks remain (see ``ClusterStore/claimBatch(node:limit:nowMs:leaseMs:)``).
public struct ClaimBatch: Sendable, Hashable {
    public var tasks: [ClaimedTask]
    public var queuedRemain: Bool

    public init(tasks: [ClaimedTask], queuedRemain: Bool) {
        self.tasks = tasks
        self.queuedRemain = queuedRemain
    }
}

/// What ``ClusterStore/insert(_:origin:ownerLimit:start:)`` did with a new task.
public enum ClusterInsertOutcome: Sendable, Hashable {
    /// Stored queued and signalled.
    case inserted
    /// Stored already claimed by the node of the ``ImmediateStart``: the attempt to run, as a claim returns it.
    case started(ClaimedTask)
    /// Not stored: the owner already had `active` non-terminal tasks, at or over the limit.
    case ownerAtLimit(active: Int)
}

extension ClusterStore {
    public func claimBatch(node: String, limit: Int, nowMs: Int64, leaseMs: Int64) async throws -> ClaimBatch {
        ClaimBatch(tasks: try await claim(node: node, limit: limit, nowMs: nowMs, leaseMs: leaseMs), queuedRemain: true)
    }

    /// Stores a new queued task under an owner limit (no immediate start).
    public func insert(_ task: TaskRecord, origin: String, ownerLimit: Int) async throws -> ClusterInsertOutcome {
        try await insert(task, origin: origin, ownerLimit: ownerLimit, start: nil)
    }

    /// Stores a new queued task whatever its owner already has (no owner limit, no immediate start).
    public func insert(_ task: TaskRecord, origin: String) async throws {
        _ = try await insert(task, origin: origin, ownerLimit: .max, start: nil)
    }
}
