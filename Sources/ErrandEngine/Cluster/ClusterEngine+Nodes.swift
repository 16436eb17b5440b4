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

    /// Every node of the cluster: those that wrote a heartbeat in the last hour (idle ones included) and those
    /// holding leases, with this one first. A node whose last heartbeat or renewal is older than two thirds of a
    /// lease missed one (they come every third of a lease): it is reported as not renewing. A node that stopped
    /// cleanly removed its heartbeat and is not listed.
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
        for heartbeat in heartbeats where heartbeat.node != node {
            var report = NodeReport(name: heartbeat.node, isSelf: false, workerSlots: heartbeat.workerSlots)
            report.lastRenewedAtMs = heartbeat.seenAtMs
            reports[heartbeat.node] = report
        }
        for holding in holdings {
            var report = reports[holding.node] ?? NodeReport(name: holding.node, isSelf: false)
            report.running[holding.target, default: 0] += holding.count
            let renewed = holding.latestUntilMs - leaseMs
            report.lastRenewedAtMs = max(report.lastRenewedAtMs ?? .min, renewed)
            report.earliestLeaseEndMs = min(report.earliestLeaseEndMs ?? .max, holding.earliestUntilMs)
            reports[holding.node] = report
        }
        for (name, var report) in reports {
            if let renewed = report.lastRenewedAtMs { report.isRenewing = now - renewed <= leaseMs * 2 / 3 }
            reports[name] = report
        }
        return reports.values.sorted { ($0.isSelf ? 0 : 1, $0.name) < ($1.isSelf ? 0 : 1, $1.name) }
    }
}
