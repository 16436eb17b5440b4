import ErrandProtocol

/// What the engine holds for a task it manages: the authoritative record and everything that is not data —
/// the running attempt, waiters, pending input requests and the writes still to be stored.
///
/// Entries exist only for non-terminal tasks, plus terminal ones whose last write is still being stored.
struct ActiveTask {
    enum Phase {
        /// Waiting in the run queue under `ticket`.
        case queued(ticket: UInt64)
        /// Waiting out a retry backoff; the timer re-queues it if `ticket` still matches.
        case backoff(ticket: UInt64)
        /// An attempt is executing.
        case running(serial: UInt64, task: Task<Void, Never>)
        /// Terminal; removed once its writes are stored.
        case ended
    }

    /// One staged change: the record as it was right after the change, and the events it publishes.
    struct Write {
        var record: TaskRecord
        var changes: [TaskEvent.Change]
    }

    /// An input request made by the running attempt.
    struct InputWait {
        var continuation: CheckedContinuation<JSONValue, any Error>?
        /// A response that arrived before the handler started waiting.
        var response: JSONValue?
    }

    var record: TaskRecord
    var policy: TaskPolicy
    var phase: Phase
    var terminalWaiters: [UInt64: CheckedContinuation<TaskRecord, Never>] = [:]
    var inputs: [String: InputWait] = [:]
    var inputCount = 0
    /// Changes not stored and published yet, oldest first.
    var outbox: [Write] = []
    /// Whether a flush is storing this task's writes right now.
    var flushing = false
    /// Callers waiting for the running flush to finish; they get its storage failure, if any.
    var flushWaiters: [CheckedContinuation<TaskEngineError?, Never>] = []

    init(record: TaskRecord, policy: TaskPolicy, phase: Phase) {
        self.record = record
        self.policy = policy
        self.phase = phase
    }

    var runningSerial: UInt64? {
        if case .running(let serial, _) = phase { return serial }
        return nil
    }
}
