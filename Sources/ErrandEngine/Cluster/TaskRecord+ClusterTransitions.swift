/// The status changes a ``ClusterStore`` applies itself (claim, cancel, lease takeover), as pure functions on a
/// record, so that every store applies them the same way the engine does: status, message, `lastUpdatedAt` and one
/// history entry.
extension TaskRecord {
    /// The record as a claim stores it: the next attempt (`attempt + 1`), status `working`, a history entry.
    /// Returns `nil` if the record is not `queued`.
    public func startingNextAttempt(at nowMs: Int64) -> TaskRecord? {
        guard status == .queued else { return nil }
        var next = self
        next.attempt += 1
        guard next.apply(.working, message: nil, at: nowMs) else { return nil }
        return next
    }

    /// The record as a cancel stores it: status `cancelled` with `message`, a history entry. Returns `nil` if the
    /// record is terminal already.
    public func cancelling(message: String?, at nowMs: Int64) -> TaskRecord? {
        var next = self
        guard next.apply(.cancelled, message: message, at: nowMs) else { return nil }
        return next
    }

    /// The record with the status change `next` applied (see ``TaskStatus/canTransition(to:)``), or `nil` if the
    /// state machine does not allow it.
    public func transitioning(to next: TaskStatus, message: String?, at nowMs: Int64) -> TaskRecord? {
        var record = self
        guard record.apply(next, message: message, at: nowMs) else { return nil }
        return record
    }
}
