extension ClusterEngine {
    /// Every node holding leases (from the shared store), and this one even when idle. A node whose latest lease
    /// ends sooner than two thirds of a lease from now missed a renewal (they come every third of a lease): it is
    /// reported as not renewing. Idle nodes other than this one hold no leases and are not seen.
    /// - Throws: `.storage` if the store failed.
    public func nodes() async throws(TaskEngineError) -> [NodeReport] {
        let holdings: [LeaseHolding]
        do {
            holdings = try await store.leaseHoldings()
        } catch {
            throw .storage("read the lease holders", error)
        }
        let now = clock.nowMs()
        let leaseMs = configuration.leaseMs
        var reports: [String: NodeReport] = [
            node: NodeReport(name: node, isSelf: true, workerSlots: workerSlots)
        ]
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
