import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Synchronization

/// The tasks extension's view of engine events: the input requests each task has open (for `inputRequests` in
/// `tasks/get`), and the `subscriptions/listen` streams that asked for `notifications/tasks` of some tasks.
///
/// One engine subscription serves both, so a stream's notification always sees the open requests its event
/// brought. Remote changes (cluster mode) arrive through the same engine events, so a listener on one node
/// hears of tasks running on any other.
final class ModernTaskEvents: Sendable {
    /// One `subscriptions/listen` stream.
    private struct Listener {
        var subscriptionID: JSONRPCID
        var taskIDs: Set<TaskID>
        var requester: TaskOwner
        var stream: SSEStream
        /// Tasks a notification was sent for already: a later snapshot of them would be older news.
        var notified: Set<TaskID> = []
    }

    private struct State {
        /// Open input requests by task, then by request id (the `inputRequests` key).
        var openInputs: [TaskID: [String: JSONValue]] = [:]
        var listeners: [UInt64: Listener] = [:]
        /// Listener ids by the task ids they follow.
        var followers: [TaskID: Set<UInt64>] = [:]
        var nextListener: UInt64 = 0
        var subscription: EventSubscription?
    }

    private let state = Mutex(State())

    init(events: EventHub) {
        let subscription = events.subscribe { [weak self] event in self?.handle(event) }.subscription
        state.withLock { $0.subscription = subscription }
    }

    /// Stops listening to the engine and ends every stream with its JSON-RPC result.
    func stop() {
        let (subscription, listeners) = state.withLock { state in
            defer { state.listeners = [:] }
            return (state.subscription, Array(state.listeners.values))
        }
        subscription?.cancel()
        for listener in listeners {
            let result: JSONValue = [
                "resultType": "complete", "_meta": [ModernMCP.MetaKey.subscriptionID: listener.subscriptionID.json],
            ]
            listener.stream.send(MCPSession.event(.result(id: listener.subscriptionID, result: result)))
            listener.stream.finish()
        }
    }

    /// The input requests `task` has open, keyed as `tasks/update` answers them.
    func inputRequests(of task: TaskID) -> [String: JSONValue] {
        state.withLock { $0.openInputs[task] ?? [:] }
    }

    /// Forgets answered requests at once (the engine's status event follows when none is left open).
    func answered(_ task: TaskID, requests: some Sequence<String>) {
        state.withLock { state in
            for request in requests { state.openInputs[task]?[request] = nil }
            if state.openInputs[task]?.isEmpty == true { state.openInputs[task] = nil }
        }
    }

    /// Sends `notifications/tasks` for every change of `tasks` on `stream` until it closes. The caller has
    /// already sent the acknowledgement and checked that `requester` may see each task.
    /// - Returns: the listener's number, for ``sendSnapshot(_:to:)``.
    @discardableResult
    func listen(subscriptionID: JSONRPCID, tasks: Set<TaskID>, requester: TaskOwner, stream: SSEStream) -> UInt64 {
        let number = state.withLock { state -> UInt64 in
            state.nextListener += 1
            let number = state.nextListener
            state.listeners[number] = Listener(
                subscriptionID: subscriptionID, taskIDs: tasks, requester: requester, stream: stream)
            for task in tasks { state.followers[task, default: []].insert(number) }
            return number
        }
        // Not inline: an overflowing stream runs this inside `send`, which we call while holding the lock.
        stream.onTermination { [weak self] _ in Task { self?.removeListener(number) } }
        return number
    }

    /// Sends the task's current state on listener `number`'s stream, unless a live change of it was sent
    /// already (then this snapshot, read before or alongside it, is not newer).
    func sendSnapshot(_ task: TaskRecord, to number: UInt64) {
        state.withLock { state in
            guard let listener = state.listeners[number], !listener.notified.contains(task.id) else { return }
            state.listeners[number]?.notified.insert(task.id)
            let detailed = task.modernTask(inputRequests: state.openInputs[task.id] ?? [:])
            listener.stream.send(Self.notification(detailed, subscriptionID: listener.subscriptionID))
        }
    }

    /// Streams listening now (for tests).
    var listenerCount: Int { state.withLock { $0.listeners.count } }

    private func removeListener(_ number: UInt64) {
        state.withLock { state in
            guard let listener = state.listeners.removeValue(forKey: number) else { return }
            for task in listener.taskIDs {
                state.followers[task]?.remove(number)
                if state.followers[task]?.isEmpty == true { state.followers[task] = nil }
            }
        }
    }

    private func handle(_ event: TaskEvent) {
        let task = event.task
        state.withLock { state in
            switch event.change {
            case .inputRequested(let requestID, let request):
                state.openInputs[task.id, default: [:]][requestID] = [
                    "method": "elicitation/create", "params": request,
                ]
            case .deleted:
                state.openInputs[task.id] = nil
            case .created, .status, .progress:
                if task.status != .inputRequired { state.openInputs[task.id] = nil }
            case .log:
                return  // a log line changes nothing a DetailedTask shows
            }
            guard event.change != .created, event.change != .deleted, let numbers = state.followers[task.id] else {
                return
            }
            // Sent under the lock, so notifications of one task reach each stream in event order.
            let detailed = task.modernTask(inputRequests: state.openInputs[task.id] ?? [:])
            for number in numbers {
                guard let listener = state.listeners[number], listener.requester.mayAccess(task.owner) else {
                    continue
                }
                state.listeners[number]?.notified.insert(task.id)
                listener.stream.send(Self.notification(detailed, subscriptionID: listener.subscriptionID))
            }
        }
    }

    /// A `notifications/tasks` event carrying `task`, tagged with the subscription id.
    static func notification(_ task: JSONValue, subscriptionID: JSONRPCID) -> SSEEvent {
        let params = task.setting("_meta", to: [ModernMCP.MetaKey.subscriptionID: subscriptionID.json])
        return MCPSession.event(.notification(method: "notifications/tasks", params: params))
    }
}
