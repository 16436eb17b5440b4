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

        /// Carries only progress, or nothing (a log store): a later such write supersedes it.
        var isSupersedable: Bool { changes.allSatisfy { $0 == .progress } }
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
    /// Changes not stored and published yet, oldest first. While ``storeFailing``, adjacent progress-only writes
    /// are coalesced (the latest wins), so an outage keeps at most one of them between two status changes.
    private(set) var outbox: [Write] = []
    /// The last attempt to store this task's writes failed (and none has succeeded since).
    var storeFailing = false
    /// Whether a flush is storing this task's writes right now.
    var flushing = false
    /// Callers waiting for the running flush to finish; they get its storage failure, if any.
    var flushWaiters: [CheckedContinuation<TaskEngineError?, Never>] = []

    init(record: TaskRecord, policy: TaskPolicy, phase: Phase) {
        self.record = record
        self.policy = policy
        self.phase = phase
    }

    /// Stages `write` after the others; while the store is failing, it replaces a progress-only write it follows.
    mutating func stage(_ write: Write) {
        if storeFailing, write.isSupersedable, let last = outbox.last, last.isSupersedable {
            let progress = last.changes.contains(.progress) || write.changes.contains(.progress)
            outbox[outbox.count - 1] = Write(record: write.record, changes: progress ? [.progress] : [])
        } else {
            outbox.append(write)
        }
    }

    /// Takes every staged write, to store them.
    mutating func takeOutbox() -> [Write] {
        defer { outbox.removeAll(keepingCapacity: true) }
        return outbox
    }

    /// Puts back a `batch` the store refused in front of what was staged meanwhile, coalescing as ``stage(_:)``.
    mutating func storeFailed(_ batch: [Write]) {
        storeFailing = true
        let later = outbox
        outbox = []
        for write in batch + later { stage(write) }
    }

    var runningSerial: UInt64? {
        if case .running(let serial, _) = phase { return serial }
        return nil
    }
}
