import Logging

extension ClusterEngine {
    /// How long a node that stopped writing heartbeats (and did not stop cleanly) stays in ``nodes()``.
    static let stoppedNodeVisibilityMs: Int64 = 3_600_000

    /// Writes this node's heartbeat; returns whether the store took it.
    @discardableResult
    func recordHeartbeat() async -> Bool {
        let heartbeat = NodeHeartbeat(node: node, workerSlots: workerSlots, running: running, seenAtMs: clock.nowMs())
        do {
            try await store.recordHeartbeat(heartbeat)
            return true
        } catch {
            logger.debug("could not record this node's heartbeat", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// How old a node's heartbeat may be before the node counts as having missed one: a lease. Heartbeats come
    /// with each takeover round, every half lease with ±20 % jitter, so at most 0.6 of a lease apart.
    static func heartbeatStaleAfterMs(leaseMs: Int64) -> Int64 { leaseMs }

    /// How old a node's last lease renewal may be before it counts as having missed one: two thirds of a lease
    /// (renewals come every third of it).
    static func renewalStaleAfterMs(leaseMs: Int64) -> Int64 { leaseMs * 2 / 3 }

    /// Every node of the cluster: those that wrote a heartbeat in the last hour (idle ones included) and those
    /// holding leases, with this one first. A node that missed one of its beats is reported as not renewing: a
    /// node holding leases when its last renewal or heartbeat is older than two thirds of a lease (renewals come
    /// every third of a lease), an idle one when its last heartbeat is older than a lease (heartbeats come with
    /// each takeover round). A node that stopped cleanly removed its heartbeat and is not listed.
    /// - Throws: `.storage` if the store failed.
    public func nodes() async throws(TaskEngineError) -> [NodeReport] {
        let holdings: [LeaseHolding]
        let heartbeats: [NodeHeartbeat]
        let now = clock.nowMs()
        do {
            holdings = try await store.leaseHoldings()
            heartbeats = try await store.heartbeats(seenAfterMs: now - Self.stoppedNodeVisibilityMs)
        } catch {
            throw .storage("read the lease holders", error)
        }
        let leaseMs = configuration.leaseMs
        var reports: [String: NodeReport] = [
            node: NodeReport(name: node, isSelf: true, workerSlots: workerSlots)
        ]
        // Per node, whether its last beat is recent enough for its cadence.
        var onTime: [String: Bool] = [:]
        for heartbeat in heartbeats where heartbeat.node != node {
            var report = NodeReport(name: heartbeat.node, isSelf: false, workerSlots: heartbeat.workerSlots)
            report.lastRenewedAtMs = heartbeat.seenAtMs
            reports[heartbeat.node] = report
            onTime[heartbeat.node] = now - heartbeat.seenAtMs <= Self.heartbeatStaleAfterMs(leaseMs: leaseMs)
        }
        for holding in holdings {
            var report = reports[holding.node] ?? NodeReport(name: holding.node, isSelf: false)
            report.running[holding.target, default: 0] += holding.count
            let renewed = holding.latestUntilMs - leaseMs
            let lastRenewed = max(report.lastRenewedAtMs ?? .min, renewed)
            report.lastRenewedAtMs = lastRenewed
            report.earliestLeaseEndMs = min(report.earliestLeaseEndMs ?? .max, holding.earliestUntilMs)
            reports[holding.node] = report
            // A node holding leases renews them every third of a lease: judged by that, the closer cadence.
            onTime[holding.node] = now - lastRenewed <= Self.renewalStaleAfterMs(leaseMs: leaseMs)
        }
        for (name, var report) in reports where report.lastRenewedAtMs != nil {
            report.isRenewing = onTime[name] ?? false
            reports[name] = report
        }
        return reports.values.sorted { ($0.isSelf ? 0 : 1, $0.name) < ($1.isSelf ? 0 : 1, $1.name) }
    }
}
