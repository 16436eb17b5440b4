import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Synchronization

extension RESTAPI {
    /// `GET /api/events[?task=ID][&tool=NAME]`: Server-Sent Events of every task change the caller may see.
    ///
    /// With authentication the token may come as `?access_token=` (EventSource cannot send headers).
    ///
    /// The first event is `ready` (with `retry: 2000` and the id to resume from); then `task` events whose
    /// `id` is the engine's event sequence. A client reconnecting with `Last-Event-ID` (or `?lastEventId=`)
    /// gets the events it missed; if they already left the replay window it gets `reset` and should reload.
    func events(_ request: HTTPRequest, _ query: QueryParameters, _ requester: TaskOwner) -> HTTPResponse {
        let resumeText = request.headers["Last-Event-ID"] ?? query["lastEventId"]
        var resumeAfter: UInt64?
        if let resumeText, !resumeText.isEmpty {
            guard let value = UInt64(resumeText) else {
                return Problem.badRequest(
                    "Last-Event-ID must be the id of an event this server sent, not '\(resumeText)'."
                )
                .response
            }
            resumeAfter = value
        }
        let filter = EventFilter(task: query["task"].map { TaskID($0) }, tool: query["tool"], requester: requester)
        let stream = SSEStream(limits: streamLimits)
        let relay = EventRelay(stream: stream, filter: filter, render: { [self] in sharedTaskEvent($0) })
        // Without Last-Event-ID, start from "now" — subscribing after the current sequence keeps that race-free.
        // The hub hands this stream only the events of tasks the requester may see (its own and its team's).
        let after = resumeAfter ?? engine.events.lastSequence
        let (replay, subscription) = engine.events.subscribe(after: after, visibleTo: requester) { event in
            relay.deliver(event)
        }
        stream.onTermination { _ in subscription.cancel() }
        if let replay {
            relay.start(
                first: SSEEvent(
                    id: String(after), event: "ready", data: JSONWriter.string(["lastEventId": .string(String(after))]),
                    retry: 2000),
                replay: replay)
        } else {
            let reason = "Events after \(after) are no longer kept; reload the task list (GET /api/tasks)."
            let current = engine.events.lastSequence
            relay.start(
                first: SSEEvent(
                    id: String(current), event: "reset", data: JSONWriter.string(["reason": .string(reason)]),
                    retry: 2000),
                replay: [])
        }
        return .eventStream(stream, headers: ["X-Accel-Buffering": "no"])
    }

    /// The `task` event of `event`, rendered and encoded once however many subscribers relay it: the hub calls
    /// the subscribers of one event in turn, on the publisher's thread, so the last rendering is reused, and its
    /// wire bytes (``SSEEvent/encoded``) are shared by every stream that queues it.
    func sharedTaskEvent(_ event: TaskEvent) -> SSEEvent {
        if let cached = renderedEvent.withLock({ $0 }), cached.sequence == event.sequence { return cached.event }
        let rendered = SSEEvent(id: String(event.sequence), event: "task", data: eventJSON(event))
        renderedEvent.withLock { $0 = (event.sequence, rendered) }
        return rendered
    }

    /// The `data` of a `task` event.
    func eventJSON(_ event: TaskEvent) -> String {
        let type: String
        var extra: [String: JSONValue] = [:]
        switch event.change {
        case .created: type = "created"
        case .status: type = "status"
        case .progress: type = "progress"
        case .deleted: type = "deleted"
        case .log(let lines):
            type = "log"
            extra = ["lines": .array(lines.map(RESTAPI.logLineJSON))]
        case .inputRequested(let requestID, let request):
            type = "input_requested"
            extra = ["requestId": .string(requestID), "request": request]
        }
        var body = extra
        body["type"] = .string(type)
        body["sequence"] = .int(Int64(clamping: event.sequence))
        body["task"] = taskJSON(event.task)
        return JSONWriter.string(.object(body), options: .sortedKeys)
    }
}

/// Which events one `/api/events` client wants.
struct EventFilter: Sendable {
    var task: TaskID?
    var tool: String?
    var requester: TaskOwner

    /// Log lines only reach a stream that follows one task (`?task=`): everyone else sees the task's changes.
    func admits(_ event: TaskEvent) -> Bool {
        if case .log = event.change, task == nil { return false }
        return admits(event.task)
    }

    func admits(_ record: TaskRecord) -> Bool {
        if let task, record.id != task { return false }
        if let tool, record.target != tool { return false }
        // The engine's rule: tasks without a principal are open; else the same principal or team.
        return requester.mayAccess(record.owner)
    }
}

/// Moves hub events onto one SSE stream in order: live events that arrive while the opening event and the
/// replay are being queued wait behind them. Never blocks the publisher beyond a short lock.
final class EventRelay: Sendable {
    private struct State {
        var started = false
        var pending: [TaskEvent] = []
    }

    private let stream: SSEStream
    private let filter: EventFilter
    private let render: @Sendable (TaskEvent) -> SSEEvent
    private let state = Mutex(State())

    init(stream: SSEStream, filter: EventFilter, render: @escaping @Sendable (TaskEvent) -> SSEEvent) {
        self.stream = stream
        self.filter = filter
        self.render = render
    }

    /// Called by the hub on the publisher's thread.
    func deliver(_ event: TaskEvent) {
        guard filter.admits(event) else { return }
        state.withLock { state in
            if state.started {
                send(event)
            } else {
                state.pending.append(event)
            }
        }
    }

    /// Queues the opening event and the replay, then whatever arrived meanwhile, and goes live.
    func start(first: SSEEvent, replay: [TaskEvent]) {
        state.withLock { state in
            stream.send(first)
            var last: UInt64 = 0
            for event in replay where filter.admits(event) {
                send(event)
                last = event.sequence
            }
            for event in state.pending where event.sequence > last { send(event) }
            state.pending = []
            state.started = true
        }
    }

    private func send(_ event: TaskEvent) {
        stream.send(render(event))
    }
}
