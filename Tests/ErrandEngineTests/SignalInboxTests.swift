import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

@testable import ErrandEngine

/// Signals from other nodes are handled in batches: all that arrived while the previous batch was handled.
@Suite struct SignalInboxTests {
    let first = ClusterSignal.changed(TaskID("t1"), .status, status: .working)
    let second = ClusterSignal.changed(TaskID("t2"), .created, status: .queued)

    @Test func takeReturnsEverySignalPutSinceTheLastTakeInOrder() async {
        let inbox = SignalInbox()
        inbox.put(first)
        inbox.put(.wake)
        inbox.put(second)
        #expect(await inbox.take() == [first, .wake, second])
        inbox.put(.resynchronize)
        inbox.finish()
        #expect(await inbox.take() == [.resynchronize])
        #expect(await inbox.take() == nil)
    }

    @Test func waitingTakeIsWokenByPut() async {
        let inbox = SignalInbox()
        let taker = Task { await inbox.take() }
        inbox.put(.wake)
        #expect(await taker.value == [.wake])
    }

    @Test func cancelledTakeReturnsNil() async {
        let inbox = SignalInbox()
        let taker = Task { await inbox.take() }
        taker.cancel()
        #expect(await taker.value == nil)
    }

    @Test func batchesHandEverySignalOnceInOrderUntilTheStreamEnds() async {
        let (stream, continuation) = AsyncStream.makeStream(of: ClusterSignal.self)
        let sent: [ClusterSignal] = (0..<200).map { .changed(TaskID("t\($0)"), .status, status: .working) }
        for signal in sent { continuation.yield(signal) }
        continuation.finish()
        let handled = Mutex<[[ClusterSignal]]>([])
        await SignalInbox.batches(of: stream) { batch in
            handled.withLock { $0.append(batch) }
            return true
        }
        let batches = handled.withLock { $0 }
        #expect(batches.flatMap { $0 } == sent)
        #expect(batches.allSatisfy { !$0.isEmpty })
    }

    @Test func batchesStopWhenTheHandlerSaysSo() async {
        let (stream, continuation) = AsyncStream.makeStream(of: ClusterSignal.self)
        continuation.yield(.wake)
        let calls = Mutex(0)
        // The stream never ends: only the handler's `false` ends the loop.
        await SignalInbox.batches(of: stream) { _ in
            calls.withLock { $0 += 1 }
            return false
        }
        #expect(calls.withLock { $0 } == 1)
        continuation.finish()
    }
}

/// The inbox and the signal streams are bounded; what they cannot keep becomes a resynchronisation, never a
/// silent loss.
@Suite struct SignalBoundTests {
    @Test func anOverflowingInboxCollapsesIntoOneResynchronisation() async {
        let inbox = SignalInbox(limit: 3)
        for index in 0..<3 { inbox.put(.changed(TaskID("t\(index)"), .status, status: .working)) }
        #expect(inbox.droppedSignals == 0)
        inbox.put(.wake)  // the fourth: everything waiting is replaced
        for index in 4..<100 { inbox.put(.changed(TaskID("t\(index)"), .status, status: .working)) }
        #expect(await inbox.take() == [.resynchronize])
        #expect(inbox.droppedSignals == 100)
        // After the take the inbox keeps signals again.
        inbox.put(.wake)
        #expect(await inbox.take() == [.wake])
        #expect(inbox.droppedSignals == 100)
    }

    @Test func aBoundedStreamFollowsADropWithAResynchronisation() async {
        let (stream, continuation) = ClusterSignal.makeBoundedStream(limit: 4)
        let sent: [ClusterSignal] = (0..<10).map { .changed(TaskID("t\($0)"), .status, status: .working) }
        for signal in sent { continuation.yieldOrResynchronize(signal) }
        continuation.finish()
        var received: [ClusterSignal] = []
        for await signal in stream { received.append(signal) }
        #expect(received.count <= 4)
        #expect(received.last == .resynchronize)
        #expect(received.contains(sent[9]))
    }

    @Test func aStreamWithinItsBoundDeliversEverySignal() async {
        let (stream, continuation) = ClusterSignal.makeBoundedStream(limit: 4)
        let sent: [ClusterSignal] = (0..<4).map { .changed(TaskID("t\($0)"), .status, status: .working) }
        for signal in sent { continuation.yieldOrResynchronize(signal) }
        continuation.finish()
        var received: [ClusterSignal] = []
        for await signal in stream { received.append(signal) }
        #expect(received == sent)
    }

    /// A batch whose tasks cannot be read is not dropped: the node reads them again (at its next recheck) and
    /// publishes what changed, so its subscribers still hear of another node's task.
    @Test(.timeLimit(.minutes(1))) func aFailedBatchReadIsReadAgainInsteadOfDropped() async throws {
        let store = FaultyClusterStore()
        let timerClock = ManualTimerClock()
        let front = makeNode("a", store: store, slots: 0, timerClock: timerClock) {
            $0.waiterRecheckInterval = .seconds(2)
        }
        let other = makeNode("b", store: store, slots: 0)
        try await front.start()
        let log = EventLog(front.events)
        defer { log.subscription.cancel() }
        store.failingReads.store(true, ordering: .relaxed)
        let record = try await other.submit(submission("gate"))
        await store.failedReads.wait(for: 1)  // node A got the signal and could not read the task
        #expect(!log.all.contains { $0.task.id == record.id })
        store.failingReads.store(false, ordering: .relaxed)
        try await timerClock.sleeping(dueWithin: .seconds(2))  // A's next recheck, its first timer
        #expect(timerClock.pendingDelays.first == .seconds(2))
        timerClock.advance(by: .seconds(2))
        try await log.wait(for: record.id) { _ in true }
        #expect(log.all.first { $0.task.id == record.id }?.task.status == .queued)
        await front.shutdown()
        await other.shutdown()
    }

    /// The tasks kept to be read again are bounded like the inbox: past `rememberedTasks` of them they give way to
    /// one full resynchronisation, which re-reads (and publishes the changes of) every task the node remembers.
    @Test(.timeLimit(.minutes(1))) func failedReadsPastTheLimitCollapseIntoOneResynchronisation() async throws {
        let store = FaultyClusterStore()
        let front = makeNode("a", store: store, slots: 0) { $0.rememberedTasks = 2 }
        let other = makeNode("b", store: store, slots: 0)
        try await front.start()
        let log = EventLog(front.events)
        defer { log.subscription.cancel() }
        let known = try await other.submit(submission("gate"))
        try await log.wait(for: known.id) { _ in true }

        store.failingReads.store(true, ordering: .relaxed)
        _ = try await store.cancel(known.id, message: "stop", nowMs: 5_000, origin: "b")
        for _ in 0..<2 { _ = try await other.submit(submission("gate")) }
        // Three changed tasks could not be read, one more than the node keeps.
        #expect(await eventually { await front.fullResyncDue })
        #expect(await front.unsyncedTasks.isEmpty)
        #expect(!log.all.contains { $0.task.id == known.id && $0.task.status == .cancelled })

        store.failingReads.store(false, ordering: .relaxed)
        await front.recheck()
        #expect(await !front.fullResyncDue)
        #expect(log.all.last { $0.task.id == known.id }?.task.status == .cancelled)
        await front.shutdown()
        await other.shutdown()
    }
}
