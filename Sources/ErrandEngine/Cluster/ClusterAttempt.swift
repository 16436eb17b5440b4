import ErrandProtocol

/// An attempt a ``ClusterEngine`` runs: its lease, the record as this node last wrote it, and its Swift task.
struct ClusterAttempt {
    enum Phase: Equatable {
        /// The runner works; its progress and input requests are written under the lease, which is renewed.
        case running
        /// The attempt's final write (result, retry, timeout) is being stored; nothing else is written.
        case finishing
        /// Cancelled, lease lost, or the node shuts down: nothing more is written for it.
        case stopped
    }

    /// An input request of the attempt and, once taken from the store, its answer.
    struct InputWait {
        var continuation: CheckedContinuation<JSONValue, any Error>?
        /// An answer that arrived before the handler started waiting.
        var answer: JSONValue?
    }

    var lease: TaskLease
    var record: TaskRecord
    var policy: TaskPolicy
    /// Tells this attempt from a later one of the same task on this node.
    var serial: UInt64
    var phase = Phase.running
    /// Lines logged since the attempt's last write; a `.storeLog` timer is armed while true.
    var logUnstored = false
    var task: Task<Void, Never>?
    /// The attempt's Swift task returned.
    var returned = false
    /// Its final write is being stored (perhaps retrying); the slot stays taken until it is done.
    var writingFinal = false
    var inputs: [String: InputWait] = [:]
    var inputCount = 0

    init(lease: TaskLease, record: TaskRecord, policy: TaskPolicy, serial: UInt64) {
        self.lease = lease
        self.record = record
        self.policy = policy
        self.serial = serial
    }
}

/// A local `waitForTerminal` call. It is registered before the task is read, so that an end published while the
/// read is in flight is not missed (`outcome` keeps it until the caller starts waiting).
struct TerminalWaiter {
    var continuation: CheckedContinuation<TaskRecord, Never>?
    /// The task as last seen, returned on timeout, cancellation or shutdown.
    var latest: TaskRecord?
    /// The answer, once decided before the caller started waiting.
    var outcome: TaskRecord?
}

/// How ``ClusterEngine/writeAttempt(_:serial:in:_:change:publishing:runAfterMs:)`` ended.
enum AttemptWrite: Equatable {
    /// Stored (and published).
    case stored
    /// The store refused it: the task no longer carries the attempt's fencing token; the attempt was stopped.
    case refused
    /// The store failed; nothing was written.
    case failed
    /// Not attempted: the attempt had left the phase the write belongs to.
    case skipped
}
