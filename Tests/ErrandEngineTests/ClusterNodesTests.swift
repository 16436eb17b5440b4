import ErrandProtocol
import ErrandTestSupport
import Testing

@testable import ErrandEngine

/// ``ClusterEngine/nodes()``: the lease holders of the shared store, and a node that stopped renewing marked so.
@Suite struct ClusterNodesTests {
    @Test func reportsEachLeaseHolderAndANodeThatStoppedRenewing() async throws {
        let clock = ManualClock()
        let store = MemoryClusterStore()
        // A serve-only node (no slots), so that it claims nothing itself: the test hands out the leases.
        let engine = makeNode("node-a", store: store, slots: 0, clock: clock)
        try await engine.start()
        let now = clock.nowMs()
        for createdAt in [1_000, 1_001, 1_002] as [Int64] {
            var task = queuedRecord(createdAt: createdAt)
            task.target = createdAt == 1_002 ? "render" : "crunch"
            try await store.insert(task, origin: "test")
        }
        // "ghost" took a task 50 s ago and never renewed (the lease is 60 s: it has not lapsed yet).
        #expect(try await store.claim(node: "ghost", limit: 1, nowMs: now - 50_000, leaseMs: 60_000).count == 1)
        // "node-b" claimed the other two just now.
        #expect(try await store.claim(node: "node-b", limit: 2, nowMs: now, leaseMs: 60_000).count == 2)

        let nodes = try await engine.nodes()
        #expect(nodes.map(\.name) == ["node-a", "ghost", "node-b"])
        let (own, ghost, live) = (nodes[0], nodes[1], nodes[2])
        #expect(own.isSelf && own.workerSlots == 0 && own.leases == 0 && own.isRenewing)
        #expect(!ghost.isSelf && ghost.running == ["crunch": 1] && !ghost.isRenewing)
        #expect(ghost.lastRenewedAtMs == now - 50_000)
        #expect(live.running == ["crunch": 1, "render": 1] && live.isRenewing)
        #expect(live.lastRenewedAtMs == now && live.earliestLeaseEndMs == now + 60_000)
        await engine.shutdown()
    }

    @Test func idleNodesAreListedFromTheirHeartbeatsAndACleanStopRemovesThem() async throws {
        let clock = ManualClock()
        let store = MemoryClusterStore()
        let serving = makeNode("node-a", store: store, slots: 0, clock: clock)
        let idle = makeNode("worker-idle", store: store, slots: 8, clock: clock)
        let frozen = makeNode("worker-frozen", store: store, slots: 2, clock: clock)
        for node in [serving, idle, frozen] { try await node.start() }  // each writes a heartbeat at start
        #expect(try await serving.nodes().map(\.name) == ["node-a", "worker-frozen", "worker-idle"])
        let listed = try await serving.nodes()
        #expect(listed[2].workerSlots == 8 && listed[2].running.isEmpty && listed[2].isRenewing)

        await frozen.shutdown()  // stops cleanly: removes its heartbeat
        #expect(try await serving.nodes().map(\.name) == ["node-a", "worker-idle"])

        // Heartbeats come with each takeover round (every 24–36 s of a 60 s lease): 40 s is late, not missed yet.
        clock.advance(byMs: 40_001)
        #expect(try await serving.nodes()[1].isRenewing)
        clock.advance(byMs: 20_000)  // more than a lease without a heartbeat from the idle one
        let stale = try await serving.nodes()
        #expect(stale.map(\.name) == ["node-a", "worker-idle"] && stale[1].isRenewing == false)
        for node in [serving, idle] { await node.shutdown() }
    }

    /// One timed heartbeat per takeover round serves both the cluster view and outage detection: the renewal timer
    /// writes none.
    @Test func aNodeWritesItsHeartbeatWithEachTakeoverRoundOnly() async throws {
        let store = FaultyClusterStore()
        let node = makeNode("node-a", store: store, slots: 0)
        try await node.start()
        let written = store.heartbeatsWritten.value
        #expect(written > 0)
        await node.timerFired([.renewLeases])
        #expect(store.heartbeatsWritten.value == written)
        await node.reclaimExpiredLeases()
        #expect(store.heartbeatsWritten.value == written + 1)
        await node.shutdown()
    }

    @Test func leaseHoldingsLeaveOutEndedAndQueuedTasks() async throws {
        let store = MemoryClusterStore()
        let task = queuedRecord()
        try await store.insert(task, origin: "test")
        #expect(try await store.leaseHoldings().isEmpty)
        let claimed = try #require(try await store.claim(node: "n", limit: 1, nowMs: 5_000, leaseMs: 1_000).first)
        #expect(
            try await store.leaseHoldings() == [
                LeaseHolding(node: "n", target: "t", count: 1, earliestUntilMs: 6_000, latestUntilMs: 6_000)
            ])
        _ = try await store.cancel(claimed.record.id, message: "stop", nowMs: 5_500, origin: "test")
        #expect(try await store.leaseHoldings().isEmpty)
    }

    @Test func aSingleServerIsOneLocalNode() async throws {
        let engine = TaskEngine(store: MemoryTaskStore(), runner: ScriptedRunner())
        try await engine.start()
        let nodes = try await engine.nodes()
        #expect(nodes.count == 1)
        #expect(nodes.first?.name == "local" && nodes.first?.isSelf == true && nodes.first?.isRenewing == true)
        #expect(nodes.first?.workerSlots == engine.workerSlots && nodes.first?.queueDepth == 0)
        await engine.shutdown()
    }
}
