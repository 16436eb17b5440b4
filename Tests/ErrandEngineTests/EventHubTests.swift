import ErrandEngine
import ErrandProtocol
import Synchronization
import Testing

@Suite struct EventHubTests {
    static let record = TaskRecord(
        id: TaskID("t"), owner: .anonymous, kind: .toolCall, target: "x", arguments: [:], status: .working,
        createdAt: 0, lastUpdatedAt: 0, ttlMs: 1000, pollIntervalMs: 500)

    @Test func sequencesIncreaseByOneAndReachEverySubscriber() {
        let hub = EventHub(replayWindow: 10)
        let first = Mutex<[UInt64]>([])
        let second = Mutex<[UInt64]>([])
        let a = hub.subscribe { event in first.withLock { $0.append(event.sequence) } }
        let b = hub.subscribe { event in second.withLock { $0.append(event.sequence) } }
        #expect(a.replay == nil && hub.subscriberCount == 2)
        for _ in 0..<5 { hub.publish(.status, task: Self.record) }
        #expect(first.withLock { $0 } == [1, 2, 3, 4, 5])
        #expect(second.withLock { $0 } == [1, 2, 3, 4, 5])
        #expect(hub.lastSequence == 5)
        a.subscription.cancel()
        a.subscription.cancel()
        hub.publish(.progress, task: Self.record)
        #expect(first.withLock { $0.count } == 5)
        #expect(second.withLock { $0.count } == 6)
        b.subscription.cancel()
        #expect(hub.subscriberCount == 0)
    }

    @Test func replayReturnsWhatIsStillInTheWindow() {
        let hub = EventHub(replayWindow: 4)
        #expect(hub.subscribe(after: 0) { _ in }.replay == [])
        for _ in 0..<10 { hub.publish(.status, task: Self.record) }
        #expect(hub.subscribe(after: 6) { _ in }.replay?.map(\.sequence) == [7, 8, 9, 10])
        #expect(hub.subscribe(after: 8) { _ in }.replay?.map(\.sequence) == [9, 10])
        #expect(hub.subscribe(after: 10) { _ in }.replay?.map(\.sequence) == [])
        #expect(hub.subscribe(after: 5) { _ in }.replay == nil)  // 6 fell out of the window
        #expect(hub.subscribe(after: 11) { _ in }.replay == nil)  // from the future: resynchronise
        let none = EventHub(replayWindow: 0)
        none.publish(.status, task: Self.record)
        #expect(none.subscribe(after: 0) { _ in }.replay == nil)
        #expect(none.subscribe(after: 1) { _ in }.replay == [])
    }

    @Test func subscribingWhilePublishingNeitherMissesNorDoublesEvents() async {
        let hub = EventHub(replayWindow: 100_000)
        let total = 20_000
        let publisher = Task.detached {
            for _ in 0..<total { hub.publish(.status, task: Self.record) }
        }
        var checked = 0
        while hub.lastSequence < UInt64(total) || checked == 0 {
            let live = Mutex<[UInt64]>([])
            let after = hub.lastSequence / 2
            let (replay, subscription) = hub.subscribe(after: after) { event in
                live.withLock { $0.append(event.sequence) }
            }
            await Task.yield()
            subscription.cancel()
            let replayed = replay?.map(\.sequence) ?? []
            let delivered = live.withLock { $0 }
            let all = replayed + delivered
            // Contiguous from `after + 1`, no gaps or duplicates.
            #expect(all == Array((after + 1)..<(after + 1 + UInt64(all.count))))
            checked += 1
        }
        await publisher.value
        #expect(checked > 0)
    }

    @Test func aHandlerMayCancelItsOwnSubscription() {
        let hub = EventHub(replayWindow: 1)
        let box = Mutex<EventSubscription?>(nil)
        let count = Mutex(0)
        let (_, subscription) = hub.subscribe { _ in
            count.withLock { $0 += 1 }
            box.withLock { $0 }?.cancel()
        }
        box.withLock { $0 = subscription }
        hub.publish(.status, task: Self.record)
        hub.publish(.status, task: Self.record)
        #expect(count.withLock { $0 } == 1)
    }
}
