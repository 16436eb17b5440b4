import ErrandProtocol

/// Everything a ``MemoryClusterStore`` holds, changed only under its lock: the rows of the shared `tasks` table,
/// the open input requests, the fencing counter and the signal subscribers.
struct MemoryClusterState {
    /// One stored task and the scheduling columns a PostgreSQL row carries beside the record.
    struct Row {
        var record: TaskRecord
        /// A `queued` task is runnable once the claimer's `nowMs` reaches this.
        var runAfterMs: Int64 = .min
        /// The attempt holding the task, while one does.
        var lease: Lease?
    }

    /// The holder of a running attempt: its node, until when, and the fencing token its writes must carry.
    struct Lease {
        var node: String
        var untilMs: Int64
        var fence: Int64
    }

    /// An input request of the running attempt and, once a client answered, the answer.
    struct InputRequest {
        var request: JSONValue
        var answer: JSONValue?
    }

    struct Subscriber {
        var node: String
        var continuation: AsyncStream<ClusterSignal>.Continuation
    }

    /// What a claim knows of one owner: its limits and when a claim last served it.
    struct Owner {
        var limits = OwnerLimits()
        /// The owner's last turn (0: never served); round-robin serves the smallest first.
        var turn: Int64 = 0
    }

    var rows: [TaskID: Row] = [:]
    /// Per ``TaskOwner/quotaKey``: owners with stored limits or served by a claim.
    var owners: [String: Owner] = [:]
    /// The last turn given to an owner.
    var lastTurn: Int64 = 0
    /// The latest heartbeat of each node.
    var heartbeats: [String: NodeHeartbeat] = [:]
    var inputs: [TaskID: [String: InputRequest]] = [:]
    /// The last fencing token issued; every claim takes the next one.
    var lastFence: Int64 = 0
    var subscribers: [UInt64: Subscriber] = [:]
    var nextSubscriberID: UInt64 = 0
    /// Nodes whose signals are dropped (a fault injected by a test).
    var deaf: Set<String> = []

    /// Sends `signal` to every subscriber except those of `origin` (as `NOTIFY` does, in commit order: the caller
    /// holds the lock).
    func send(_ signal: ClusterSignal, from origin: String) {
        for subscriber in subscribers.values where subscriber.node != origin && !deaf.contains(subscriber.node) {
            subscriber.continuation.yieldOrResynchronize(signal)
        }
    }

    /// The row of `lease.taskID` if it still carries `lease.fence` and is not terminal.
    func fencedRow(_ lease: TaskLease) -> Row? {
        guard let row = rows[lease.taskID], let held = row.lease, held.fence == lease.fence,
            !row.record.status.isTerminal
        else { return nil }
        return row
    }

    /// Ends the attempt holding `id`: clears the lease and drops the attempt's input requests.
    mutating func endAttempt(_ id: TaskID) {
        rows[id]?.lease = nil
        inputs[id] = nil
    }
}
