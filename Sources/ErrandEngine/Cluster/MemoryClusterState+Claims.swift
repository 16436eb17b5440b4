import ErrandProtocol

/// The order of a claim (``ClusterStore/claim(node:limit:nowMs:leaseMs:)``): priority, then round-robin across
/// owners by their last turn, within each owner's ``OwnerLimits/concurrentTasks``.
extension MemoryClusterState {
    /// A runnable task a claim may take, with its place in its owner's round-robin.
    private struct Candidate {
        var record: TaskRecord
        var owner: String
        /// How many of the owner's tasks of the same priority come before it in this claim.
        var rank: Int
        var turn: Int64

        func precedes(_ other: Candidate) -> Bool {
            if record.priority != other.record.priority { return record.priority > other.record.priority }
            if rank != other.rank { return rank < other.rank }
            if turn != other.turn { return turn < other.turn }
            if owner != other.owner { return owner < other.owner }
            return MemoryClusterStore.runsBefore(record, other.record)
        }
    }

    /// The ids of up to `limit` runnable tasks, in the order the claim takes them.
    func claimOrder(limit: Int, nowMs: Int64) -> [TaskID] {
        var queued: [String: [TaskRecord]] = [:]
        var running: [String: Int] = [:]
        for row in rows.values {
            switch row.record.status {
            case .queued where row.runAfterMs <= nowMs:
                queued[row.record.owner.quotaKey, default: []].append(row.record)
            case .working, .inputRequired:
                running[row.record.owner.quotaKey, default: 0] += 1
            default:
                break
            }
        }
        var candidates: [Candidate] = []
        for (owner, records) in queued {
            let known = owners[owner]
            let free = known?.limits.concurrentTasks.map { max(0, $0 - (running[owner] ?? 0)) } ?? limit
            guard free > 0 else { continue }
            var ranks: [Int: Int] = [:]
            for record in records.sorted(by: MemoryClusterStore.runsBefore).prefix(min(free, limit)) {
                let rank = ranks[record.priority, default: 0]
                ranks[record.priority] = rank + 1
                candidates.append(Candidate(record: record, owner: owner, rank: rank, turn: known?.turn ?? 0))
            }
        }
        return candidates.sorted { $0.precedes($1) }.prefix(limit).map(\.record.id)
    }
}
