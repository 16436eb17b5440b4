import ErrandEngine
import ErrandProtocol
import Synchronization
import Testing

/// A subscriber with an audience gets exactly the events of the tasks that audience may access.
@Suite struct EventHubRoutingTests {
    static func record(_ id: String, principal: String?, team: String? = nil) -> TaskRecord {
        TaskRecord(
            id: TaskID(id), owner: TaskOwner(principal: principal, team: team), kind: .toolCall, target: "x",
            arguments: [:], status: .working, createdAt: 0, lastUpdatedAt: 0, ttlMs: 1000, pollIntervalMs: 500)
    }

    /// Tasks of every shape of owner: open, solo principals, team members, a principal whose team changed.
    static let tasks = [
        record("open", principal: nil),
        record("alice", principal: "alice"),
        record("bob", principal: "bob", team: "chem"),
        record("carol", principal: "carol", team: "chem"),
        record("dave", principal: "dave", team: "bio"),
        record("alice-in-chem", principal: "alice", team: "chem"),
    ]

    /// Audiences of every shape: none (everything), solo, team member, team only, anonymous.
    static let audiences: [TaskOwner?] = [
        nil,
        TaskOwner(principal: "alice"),
        TaskOwner(principal: "bob", team: "chem"),
        TaskOwner(principal: "alice", team: "chem"),
        TaskOwner(principal: "erin", team: "bio"),
        TaskOwner(principal: nil, team: "chem"),
        TaskOwner(),
    ]

    @Test(arguments: audiences.indices)
    func aSubscriberGetsExactlyWhatItsAudienceMayAccessEachOnce(_ index: Int) {
        let hub = EventHub(replayWindow: 0)
        let audience = Self.audiences[index]
        let seen = Mutex<[String]>([])
        // Subscribers of every other audience around it, so that buckets are shared and crossed.
        let others = Self.audiences.map { hub.subscribe(visibleTo: $0) { _ in } }
        let mine = hub.subscribe(visibleTo: audience) { event in seen.withLock { $0.append(event.task.id.rawValue) } }
        for task in Self.tasks { hub.publish(.status, task: task) }
        let expected = Self.tasks.filter { audience?.mayAccess($0.owner) ?? true }.map(\.id.rawValue)
        #expect(seen.withLock { $0 } == expected)
        mine.subscription.cancel()
        for task in Self.tasks { hub.publish(.status, task: task) }
        #expect(seen.withLock { $0 } == expected)
        for other in others { other.subscription.cancel() }
        #expect(hub.subscriberCount == 0)
    }

    @Test func cancellingOneSubscriberLeavesTheOthersOfItsBucketsSubscribed() {
        let hub = EventHub(replayWindow: 0)
        let counts = Mutex([Int](repeating: 0, count: 3))
        let subscriptions = (0..<3).map { slot in
            hub.subscribe(visibleTo: TaskOwner(principal: "bob", team: "chem")) { _ in
                counts.withLock { $0[slot] += 1 }
            }.subscription
        }
        subscriptions[1].cancel()
        hub.publish(.status, task: Self.record("bob", principal: "bob", team: "chem"))
        hub.publish(.status, task: Self.record("carol", principal: "carol", team: "chem"))
        #expect(counts.withLock { $0 } == [2, 0, 2])
        #expect(hub.subscriberCount == 2)
    }

    @Test func aPrincipalWithManySubscribersDoesNotReachAnotherPrincipal() {
        let hub = EventHub(replayWindow: 0)
        let alice = Mutex(0)
        let bob = Mutex(0)
        let subscriptions =
            (0..<5).map { _ in
                hub.subscribe(visibleTo: TaskOwner(principal: "alice")) { _ in alice.withLock { $0 += 1 } }
            }
            + (0..<5).map { _ in hub.subscribe(visibleTo: TaskOwner(principal: "bob")) { _ in bob.withLock { $0 += 1 } }
            }
        for _ in 0..<3 { hub.publish(.status, task: Self.record("a", principal: "alice")) }
        #expect(alice.withLock { $0 } == 15)
        #expect(bob.withLock { $0 } == 0)
        for entry in subscriptions { entry.subscription.cancel() }
    }
}
