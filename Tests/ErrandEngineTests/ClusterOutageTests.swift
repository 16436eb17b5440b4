import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

/// A node that lost its store for longer than a lease (a database restart) and got it back.
@Suite struct ClusterOutageTests {
    /// Its own running attempts' leases ended too, since it could not renew them: its next takeover round renews
    /// them first, so it finishes that work instead of failing it ("the node running the task stopped").
    @Test func aNodeDoesNotTakeOverTheAttemptsItIsStillRunning() async throws {
        let store = MemoryClusterStore()
        let (node, record, runner, clock) = try await runningGateTask(on: store)
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
        let (stalled, record, runner, clock) = try await runningGateTask(on: store)
        let other = try await startedServeOnlyNode("B", on: store, clock: clock)
        clock.advance(byMs: 60_001)
        #expect(await other.reclaimExpiredLeases().map(\.id) == [record.id])
        #expect(await stalled.reclaimExpiredLeases().isEmpty)  // its renewal finds the lease lost
        #expect(try await ended(other, record.id).status == .failed)
        runner.gate.open()
        await stalled.shutdown()
        await other.shutdown()
    }

    /// While its own renewal fails it takes nothing over: the store may be back for one call and gone for the next.
    @Test func whileItsRenewalFailsANodeTakesNothingOver() async throws {
        let store = FaultyClusterStore()
        let (node, record, runner, clock) = try await runningGateTask(on: store)
        clock.advance(byMs: 60_001)
        store.renewalsToFail.withLock { $0 = 1 }
        #expect(await node.storeUnreachableSinceMs() == nil)
        #expect(await node.reclaimExpiredLeases().isEmpty)
        #expect(await node.storeUnreachableSinceMs() == clock.nowMs())  // readiness reports it from now on
        #expect(try await store.task(record.id)?.status == .working)
        #expect(await node.reclaimExpiredLeases().isEmpty)  // the renewal goes through: renewed, nothing taken
        #expect(await node.storeUnreachableSinceMs() == nil)
        runner.gate.open()
        #expect(try await ended(node, record.id).status == .completed)
        await node.shutdown()
    }

    /// A renewal that waited in a queue (the pool, while the database restarted) stores an end that has passed by
    /// the time it is written: the node renews again before it looks for expired leases.
    @Test func aRenewalThatArrivesLateIsRenewedAgainBeforeTakingOver() async throws {
        let store = FaultyClusterStore()
        let (node, record, runner, clock) = try await runningGateTask(on: store)
        clock.advance(byMs: 60_001)
        store.beforeRenewal.withLock { $0 = { clock.advance(byMs: 60_001) } }  // written a lease later than issued
        #expect(await node.reclaimExpiredLeases().isEmpty)
        #expect(store.base.lease(of: record.id)?.untilMs == clock.nowMs() + 60_000)
        runner.gate.open()
        #expect(try await ended(node, record.id).status == .completed)
        await node.shutdown()
    }

    /// After an outage every lease has run out: the node whose store call failed waits one lease duration once the
    /// store answers again, and the owner renews meanwhile — its task is not taken over.
    @Test func afterAnOutageOtherNodesWaitALeaseBeforeTakingOver() async throws {
        let store = FaultyClusterStore()
        let (owner, record, runner, clock) = try await runningGateTask(on: store)
        let other = try await startedServeOnlyNode("B", on: store, clock: clock)
        clock.advance(byMs: 60_001)  // the database was away for longer than a lease
        store.reclaimsToFail.withLock { $0 = 1 }
        #expect(await other.reclaimExpiredLeases().isEmpty)  // the store failed
        #expect(await other.reclaimExpiredLeases().isEmpty)  // it answers again: B waits a lease
        clock.advance(byMs: 30_000)
        await owner.renewLeases()  // A renews on its own schedule meanwhile
        clock.advance(byMs: 30_001)  // B's wait is over
        #expect(await other.reclaimExpiredLeases().isEmpty)  // A's lease is current again: nothing to take over
        runner.gate.open()
        #expect(try await ended(owner, record.id).status == .completed)
        await owner.shutdown()
        await other.shutdown()
    }

    /// A node whose calls waited in a queue through the outage sees nothing fail: its heartbeat took more than half a
    /// lease, and that counts as an outage too.
    @Test func aHeartbeatThatWaitedHalfALeaseDelaysTakeovers() async throws {
        let store = FaultyClusterStore()
        let (owner, record, runner, clock) = try await runningGateTask(on: store)
        let other = try await startedServeOnlyNode("B", on: store, clock: clock)
        clock.advance(byMs: 30_000)
        store.beforeHeartbeat.withLock { $0 = { clock.advance(byMs: 30_001) } }  // B's heartbeat waits: A's lease ends
        #expect(await other.reclaimExpiredLeases().isEmpty)  // B waits a lease instead of taking A's task
        await owner.renewLeases()
        #expect(await other.reclaimExpiredLeases().isEmpty)
        runner.gate.open()
        #expect(try await ended(owner, record.id).status == .completed)
        await owner.shutdown()
        await other.shutdown()
    }
}

/// Node "A" on `store`, started, running a `gate` task that waits for `runner.gate`.
private func runningGateTask(on store: any ClusterStore) async throws -> (
    ClusterEngine, TaskRecord, ScriptedRunner, ManualClock
) {
    let clock = ManualClock()
    let runner = ScriptedRunner()
    let node = makeNode("A", store: store, runner: runner, clock: clock)
    try await node.start()
    let record = try await node.submit(submission("gate"))
    await runner.started.wait(for: 1)
    return (node, record, runner, clock)
}

/// A started node with no worker slots (it takes tasks over but runs none), on `clock`.
private func startedServeOnlyNode(_ name: String, on store: any ClusterStore, clock: ManualClock) async throws
    -> ClusterEngine
{
    let node = makeNode(name, store: store, slots: 0, clock: clock)
    try await node.start()
    return node
}
