import Synchronization

/// Fans task events out to subscribers and keeps the last few for replay (`Last-Event-ID`).
///
/// ``publish(_:task:)`` stamps the next sequence number (1, 2, 3, …), records the event in a ring
/// buffer of the last `replayWindow` events and calls the handler of every subscriber that may see the task
/// synchronously on the publisher's thread, outside the hub's lock. A subscriber given an audience (see
/// ``subscribe(after:visibleTo:_:)``) is only called for the tasks that audience may access, and the hub finds
/// those subscribers by principal and team, so an event costs O(subscribers who may see it), not O(all). Handlers therefore **must not block or await**: copy the event
/// into your own bounded buffer and return. A handler may cancel its subscription or subscribe others.
///
/// The engine publishes from its actor only, so handlers see events in sequence order. Were several threads
/// to publish at once, their events could reach a handler out of order; ``TaskEvent/sequence`` tells.
public final class EventHub: Sendable {
    private struct StoredEvent {
        var sequence: UInt64
        var change: TaskEvent.Change
        var task: [UInt8]

        var event: TaskEvent {
            TaskEvent(sequence: sequence, change: change, task: TaskRecordCodec.decode(trusted: task))
        }
    }

    private struct State {
        var lastSequence: UInt64 = 0
        var nextSubscriberID: UInt64 = 0
        /// Copy-on-write: publish retains the buckets it delivers to, so changing them never disturbs a
        /// delivery in progress.
        var subscribers = EventAudienceIndex<@Sendable (TaskEvent) -> Void>()
        /// The replay window, each task kept compactly (a tree of JSON values per event would cost ~1 KiB each).
        var ring: [StoredEvent] = []
        /// Where the next event goes once `ring` is full.
        var ringStart = 0
        /// The sequence number of the newest event that left the window (0: none has).
        var evictedThrough: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Events kept for replay.
    public let replayWindow: Int

    /// A hub that keeps the last `replayWindow` events (at least 0) for replay.
    public init(replayWindow: Int) {
        self.replayWindow = max(0, replayWindow)
    }

    /// Stamps the next sequence number on the change and delivers it to every subscriber.
    /// - Returns: the event as delivered.
    @discardableResult
    public func publish(_ change: TaskEvent.Change, task: TaskRecord) -> TaskEvent {
        let task = task.withoutLogLines
        // Log lines are not kept for replay: a chatty task would push every status change out of the window, and
        // a task's log has a replay of its own (GET /api/tasks/{id}/log resumes by line number).
        let window: Int
        if case .log = change { window = 0 } else { window = replayWindow }
        let encoded = window > 0 ? TaskRecordCodec.encode(task) : []
        let (event, audience) = state.withLock { state in
            state.lastSequence += 1
            let event = TaskEvent(sequence: state.lastSequence, change: change, task: task)
            if window > 0 {
                let stored = StoredEvent(sequence: event.sequence, change: change, task: encoded)
                if state.ring.count < window {
                    state.ring.append(stored)
                } else {
                    state.evictedThrough = state.ring[state.ringStart].sequence
                    state.ring[state.ringStart] = stored
                    state.ringStart = (state.ringStart + 1) % window
                }
            }
            return (event, state.subscribers.audience(of: task.owner))
        }
        audience.forEach { handler in handler(event) }
        return event
    }

    /// Subscribes `handler` to the events published from now on: every event, or with `visibleTo` those of the
    /// tasks that requester may access (``TaskOwner/mayAccess(_:)``: tasks without a principal, the
    /// requester's principal's, and its team's).
    ///
    /// `handler` is called synchronously on the publisher's thread: it must not block. If `after` is given,
    /// also returns the events with a larger sequence number that are still in the replay window — taken
    /// atomically with the subscription, so no event is both replayed and delivered, and none is missed.
    /// Live events may reach `handler` while you are still processing `replay`; order them by sequence.
    /// - Returns: `replay` is `nil` when `after` was given but some events after it have left the window (or
    ///   `after` is newer than anything published): the caller must resynchronise from the store. The replay
    ///   is not filtered by `visibleTo`. Cancel `subscription` to stop deliveries.
    public func subscribe(
        after: UInt64? = nil, visibleTo audience: TaskOwner? = nil, _ handler: @escaping @Sendable (TaskEvent) -> Void
    ) -> (replay: [TaskEvent]?, subscription: EventSubscription) {
        let (stored, id) = state.withLock { state -> ([StoredEvent]?, UInt64) in
            state.nextSubscriberID += 1
            let id = state.nextSubscriberID
            state.subscribers.insert(.init(id: id, audience: audience, handler: handler))
            guard let after else { return (nil, id) }
            return (Self.events(after: after, in: state, window: replayWindow), id)
        }
        return (stored.map { $0.map(\.event) }, EventSubscription(hub: self, id: id))
    }

    private static func events(after: UInt64, in state: State, window: Int) -> [StoredEvent]? {
        if after > state.lastSequence { return nil }
        if after == state.lastSequence { return [] }
        // Every kept event newer than `evictedThrough` is still in the ring (log events are never kept).
        guard window > 0, after >= state.evictedThrough else { return nil }
        var result: [StoredEvent] = []
        for offset in 0..<state.ring.count {
            let event = state.ring[(state.ringStart + offset) % state.ring.count]
            if event.sequence > after { result.append(event) }
        }
        return result
    }

    func unsubscribe(_ id: UInt64) {
        state.withLock { state in state.subscribers.remove(id: id) }
    }

    /// The sequence number of the last event published; 0 before the first.
    public var lastSequence: UInt64 { state.withLock { $0.lastSequence } }

    /// How many subscriptions are active.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }
}

/// A live subscription to an ``EventHub``. Cancelling is idempotent; after `cancel()` returns no new delivery
/// starts (one already running on another thread may still finish).
public final class EventSubscription: Sendable {
    private let hub: EventHub
    private let id: UInt64

    init(hub: EventHub, id: UInt64) {
        self.hub = hub
        self.id = id
    }

    /// Stops deliveries to this subscription's handler.
    public func cancel() { hub.unsubscribe(id) }
}
