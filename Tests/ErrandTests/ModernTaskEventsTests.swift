import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Testing

@testable import Errand

/// The extension's view of engine events, without HTTP: open input requests and listener streams.
@Suite struct ModernTaskEventsTests {
    func record(_ id: String, status: TaskStatus) -> TaskRecord {
        TaskRecord(
            id: TaskID(id), owner: .anonymous, kind: .toolCall, target: "t", arguments: [:], status: status,
            createdAt: 1_000, lastUpdatedAt: 1_000, ttlMs: nil, pollIntervalMs: 500)
    }

    @Test func openInputsFollowTheEvents() {
        let hub = EventHub(replayWindow: 16)
        let events = ModernTaskEvents(events: hub)
        let asking = record("t1", status: .inputRequired)
        hub.publish(.status, task: asking)
        hub.publish(.inputRequested(requestID: "t1-in-1", request: ["message": "ok?"]), task: asking)
        #expect(events.inputRequests(of: TaskID("t1"))["t1-in-1"]?["method"] == "elicitation/create")
        #expect(asking.modernTask(inputRequests: events.inputRequests(of: asking.id))["status"] == "input_required")
        hub.publish(.status, task: record("t1", status: .working))
        #expect(events.inputRequests(of: TaskID("t1")).isEmpty)
        // Without known requests an input_required task reads working (its request event follows).
        #expect(asking.modernTask(inputRequests: [:])["status"] == "working")
    }

    @Test func anOverflowingListenerIsDroppedWithoutDeadlock() async {
        let hub = EventHub(replayWindow: 16)
        let events = ModernTaskEvents(events: hub)
        let stream = SSEStream(limits: .init(maxBufferedEvents: 2))
        events.listen(subscriptionID: .int(1), tasks: [TaskID("t2")], requester: .anonymous, stream: stream)
        for _ in 0..<5 { hub.publish(.progress, task: record("t2", status: .working)) }
        #expect(stream.closeReason == .overflow)
        while events.listenerCount > 0 { await Task.yield() }
        #expect(events.listenerCount == 0)
    }
}
