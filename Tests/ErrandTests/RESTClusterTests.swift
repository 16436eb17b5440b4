import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Logging
import Testing

/// `GET /api/cluster` and `GET /api/stats` on a node of a cluster (memory cluster store): the lease holders of the
/// shared store, a node that stopped renewing, and totals over every node.
@Suite(.shutsDownApplications) struct RESTClusterTests {
    @Test func clusterListsLeaseHoldersAndANodeThatStoppedRenewing() async throws {
        let store = MemoryClusterStore()
        let logger = Logger(label: "cluster-test", factory: { _ in SwiftLogNoOpLogHandler() })
        var configuration = ErrandConfiguration()
        configuration.publicDirectory = nil
        let node = ErrandApplication(configuration: configuration, catalog: RESTHarness.catalog, logger: logger) {
            runner in
            var serveOnly = ClusterEngineConfiguration()
            serveOnly.engine.maxConcurrentTasks = 0
            serveOnly.leaseDuration = .seconds(30)
            return ClusterEngine(store: store, runner: runner, node: "serve-1", configuration: serveOnly)
        }
        try await node.start()
        StartedApplications.register(node)
        let app = RESTHarness(application: node)
        // Two tasks submitted here; "worker-2" holds one fresh lease, "worker-3" one it last renewed 25 s ago.
        let first = await app.start("sleep", #"{"seconds": 60}"#)
        let second = await app.start("sleep", #"{"seconds": 60}"#)
        #expect(!first.isEmpty && !second.isEmpty)
        let now = SystemEngineClock().nowMs()
        #expect(try await store.claim(node: "worker-3", limit: 1, nowMs: now - 25_000, leaseMs: 30_000).count == 1)
        #expect(try await store.claim(node: "worker-2", limit: 1, nowMs: now, leaseMs: 30_000).count == 1)

        let cluster = await app.send("GET", "/api/cluster").json
        #expect(cluster["mode"] == "cluster")
        let nodes = cluster["nodes"]?.arrayValue ?? []
        #expect(nodes.compactMap { $0["name"]?.stringValue } == ["serve-1", "worker-2", "worker-3"])
        #expect(nodes.first?["self"] == true && nodes.first?["workerSlots"] == 0)
        #expect(nodes.dropFirst().first?["renewing"] == true && nodes.dropFirst().first?["running"] == ["sleep": 1])
        #expect(nodes.last?["renewing"] == false && nodes.last?["leases"] == 1)
        #expect((nodes.last?["lastRenewedAgoMs"]?.intValue ?? 0) >= 25_000)

        let stats = await app.send("GET", "/api/stats").json
        #expect(stats["byStatus"]?["working"] == 2 && stats["total"] == 2)
    }
}
