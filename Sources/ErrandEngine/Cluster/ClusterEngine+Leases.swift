import ErrandProtocol
import Logging

/// Leases: renewing this node's, taking over those of nodes that stopped.
extension ClusterEngine {
    /// Extends the leases of this node's running attempts to now + ``ClusterEngineConfiguration/leaseDuration``, and
    /// stops the attempts whose lease the store says is lost (cancelled, or taken over after this node stalled).
    /// The node calls this every third of the lease duration.
    public func renewLeases() async {
        // A finishing attempt keeps its lease too: its final write may be retrying through a store hiccup.
        let leases = attempts.values.filter { $0.phase == .running || $0.phase == .finishing }.map(\.lease)
        guard !leases.isEmpty else { return }
        let lost: Set<TaskID>
        do {
            lost = try await store.renew(node: node, leases: leases, untilMs: clock.nowMs() + configuration.leaseMs)
        } catch {
            logger.error("could not renew leases", metadata: ["error": "\(error)"])
            return
        }
        for lease in leases where lost.contains(lease.taskID) && attempts[lease.taskID]?.lease == lease {
            logger.notice("lease lost; the attempt stops", metadata: ["task": "\(lease.taskID)"])
            stopAttempt(lease.taskID)
        }
    }

    /// Takes over tasks whose lease ended before now (their node stopped or stalled): queued again if the retry
    /// policy allows another attempt ("lease expired: …; queued again"), else failed ("The node running the task
    /// stopped (its lease expired)", an internal-error outcome). Publishes each and claims if any was queued.
    /// The node calls this every half of the lease duration (with jitter) and at ``start()``.
    ///
    /// It renews its own leases first: after the store was unreachable for longer than a lease (a database
    /// restart), the leases of the attempts this node is still running have ended too, and taking those over would
    /// fail work that is about to finish.
    /// - Returns: the tasks this node took over.
    @discardableResult
    public func reclaimExpiredLeases() async -> [TaskRecord] {
        guard lifecycle != .shuttingDown else { return [] }
        await renewLeases()
        let runner = self.runner
        let now = clock.nowMs()
        let taken: [TaskRecord]
        do {
            taken = try await store.reclaimExpiredLeases(
                nowMs: now, limit: configuration.reclaimBatchSize, origin: node,
                decide: { record in Self.takeOver(record, policy: runner.policy(for: record), at: now) })
        } catch {
            logger.error("could not take over expired leases", metadata: ["error": "\(error)"])
            return []
        }
        for record in taken {
            stopAttempt(record.id)  // this node's own attempt, if it stalled past its lease
            publish(.status, record)
        }
        if !taken.isEmpty {
            logger.notice("took over tasks whose lease expired", metadata: ["count": "\(taken.count)"])
        }
        if taken.contains(where: { $0.status == .queued }) { await claimRunnable() }
        return taken
    }

    /// What a task whose lease expired becomes: queued again while `policy` allows another attempt, else failed.
    static func takeOver(_ record: TaskRecord, policy: TaskPolicy, at now: Int64) -> TaskRecord {
        var next = record
        if record.attempt < policy.maxAttempts {
            let message = "lease expired: the node running attempt \(record.attempt) stopped; queued again"
            _ = next.apply(.queued, message: message, at: now)
        } else {
            let message = "The node running the task stopped (its lease expired)"
            if next.apply(.failed, message: message, at: now) { next.outcome = .error(.internalError(message)) }
        }
        return next
    }
}
