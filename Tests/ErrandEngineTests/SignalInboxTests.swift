import ErrandProtocol
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
