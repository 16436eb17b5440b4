import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Testing

/// A node that lost its store for longer than a lease (a database restart) and got it back.
@Suite struct ClusterOutageTests {
    /// Its own running attempts' leases ended too, since it could not renew them: its next takeover round renews
    /// them first, so it finishes that work instead of failing it ("the node running the task stopped").
    @Test func aNodeDoesNotTakeOverTheAttemptsItIsStillRunning() async throws {
        let store = MemoryClusterStore()
        let clock = ManualClock()
        let runner = ScriptedRunner()
        let node = makeNode("A", store: store, runner: runner, clock: clock)
        try await node.start()
        let record = try await node.submit(submission("gate"))
        await runner.started.wait(for: 1)
        clock.advance(byMs: 60_001)  // no renewal came through: the lease has ended
        #expect(await node.reclaimExpiredLeases().isEmpty)
        #expect(store.lease(of: record.id)?.node == "A")
        #expect(store.lease(of: record.id)?.untilMs == clock.nowMs() + 60_000)  // renewed
        runner.gate.open()
        #expect(try await ended(node, record.id).status == .completed)
        await node.shutdown()
    }

    /// Another node that gets there first still takes the task over: the owner then learns its lease is lost.
    @Test func anotherNodeStillTakesOverFromAStalledOne() async throws {
        let store = MemoryClusterStore()
        let clock = ManualClock()
        let runner = ScriptedRunner()
        let stalled = makeNode("A", store: store, runner: runner, clock: clock)
        let other = makeNode("B", store: store, slots: 0, clock: clock)
        try await stalled.start()
        try await other.start()
        let record = try await stalled.submit(submission("gate"))
        await runner.started.wait(for: 1)
        clock.advance(byMs: 60_001)
        #expect(await other.reclaimExpiredLeases().map(\.id) == [record.id])
        #expect(await stalled.reclaimExpiredLeases().isEmpty)  // its renewal finds the lease lost
        #expect(try await ended(other, record.id).status == .failed)
        runner.gate.open()
        await stalled.shutdown()
        await other.shutdown()
    }
}
