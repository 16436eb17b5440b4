import ErrandProtocol
import Logging

/// Leases: renewing this node's, taking over those of nodes that stopped.
extension ClusterEngine {
    /// Extends the leases of this node's running attempts to now + ``ClusterEngineConfiguration/leaseDuration``, and
    /// stops the attempts whose lease the store says is lost (cancelled, or taken over after this node stalled).
    /// The node calls this every third of the lease duration.
    /// - Returns: whether the store answered (there was nothing to renew, or the renewal was stored).
    @discardableResult
    public func renewLeases() async -> Bool {
        // A finishing attempt keeps its lease too: its final write may be retrying through a store hiccup.
        let leases = attempts.values.filter { $0.phase == .running || $0.phase == .finishing }.map(\.lease)
        guard !leases.isEmpty else { return true }
        let lost: Set<TaskID>
        do {
            lost = try await store.renew(node: node, leases: leases, untilMs: clock.nowMs() + configuration.leaseMs)
        } catch {
            logger.error("could not renew leases", metadata: ["error": "\(error)"])
            storeFailed()
            return false
        }
        storeAnswered()
        for lease in leases where lost.contains(lease.taskID) && attempts[lease.taskID]?.lease == lease {
            logger.notice("lease lost; the attempt stops", metadata: ["task": "\(lease.taskID)"])
            stopAttempt(lease.taskID)
        }
        return true
    }

    /// Takes over tasks whose lease ended before now (their node stopped or stalled): queued again if the retry
    /// policy allows another attempt ("lease expired: …; queued again"), else failed ("The node running the task
    /// stopped (its lease expired)", an internal-error outcome). Publishes each and claims if any was queued.
    /// The node calls this every half of the lease duration (with jitter) and at ``start()``.
    ///
    /// It renews its own leases first: after the store was unreachable for longer than a lease (a database
    /// restart), the leases of the attempts this node is still running have ended too, and taking those over would
    /// fail work that is about to finish. While its own renewal fails, it takes nothing over; and once the store
    /// answers again after failing — or after a call that waited more than half a lease for it — it waits one
    /// lease duration before taking over other nodes' tasks, so that their owners, which could not renew either,
    /// renew first.
    /// - Returns: the tasks this node took over.
    @discardableResult
    public func reclaimExpiredLeases() async -> [TaskRecord] {
        guard lifecycle != .shuttingDown else { return [] }
        guard await renewedOwnLeases() else { return [] }
        // A heartbeat first, timed: a call that waited more than half a lease (queued in the pool while the
        // database was away) means the store was out even though nothing failed here. It is also the node's
        // periodic heartbeat for ``nodes()`` (the renewal timer writes none).
        let asked = clock.nowMs()
        guard await recordHeartbeat() else {
            storeFailed()
            return []
        }
        if clock.nowMs() - asked > configuration.leaseMs / 2 { leaseRecovery.storeFailed() }
        let runner = self.runner
        let now = clock.nowMs()
        guard leaseRecovery.mayTakeOver(nowMs: now, leaseMs: configuration.leaseMs) else {
            logger.notice("the task store answers again; taking over expired leases after one lease duration")
            return []
        }
        let taken: [TaskRecord]
        do {
            taken = try await store.reclaimExpiredLeases(
                nowMs: now, limit: configuration.reclaimBatchSize, origin: node,
                decide: { record in Self.takeOver(record, policy: runner.policy(for: record), at: now) })
        } catch {
            logger.error("could not take over expired leases", metadata: ["error": "\(error)"])
            storeFailed()
            return []
        }
        storeAnswered()
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

    /// Renews this node's leases until one renewal took less than half a lease: a renewal that waited in a queue
    /// (the connection pool while the database was away) wrote an end that may have passed by the time it returned.
    /// At most three tries; `false` if the store failed or every renewal was slow.
    private func renewedOwnLeases() async -> Bool {
        for _ in 0..<3 {
            let issued = clock.nowMs()
            guard await renewLeases() else { return false }
            if clock.nowMs() - issued < configuration.leaseMs / 2 { return true }
        }
        return false
    }

    public func storeUnreachableSinceMs() async -> Int64? { storeUnreachableSince }

    /// A call about leases, claims or submissions failed: takeovers wait (``LeaseRecovery``) and readiness reports
    /// it.
    func storeFailed() {
        leaseRecovery.storeFailed()
        if storeUnreachableSince == nil {
            storeUnreachableSince = clock.nowMs()
            logger.warning("the task store does not answer; /readyz reports 503 until it does")
        }
    }

    /// A call about leases, claims or submissions went through.
    func storeAnswered() {
        guard let since = storeUnreachableSince else { return }
        storeUnreachableSince = nil
        logger.notice("the task store answers again", metadata: ["unreachableMs": "\(clock.nowMs() - since)"])
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

/// Whether a node may take over expired leases, after the store failed: every node's leases ran out while nobody
/// could renew, so the first node back must not take over work whose node is about to renew it.
struct LeaseRecovery {
    private var storeFailedSinceLastRound = false
    private var notBeforeMs: Int64 = .min

    /// A store call about leases failed.
    mutating func storeFailed() { storeFailedSinceLastRound = true }

    /// Whether a takeover round at `nowMs` may run: not in the first lease duration after the store came back.
    mutating func mayTakeOver(nowMs: Int64, leaseMs: Int64) -> Bool {
        if storeFailedSinceLastRound {
            storeFailedSinceLastRound = false
            notBeforeMs = nowMs + leaseMs
        }
        return nowMs >= notBeforeMs
    }
}
