import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Synchronization

extension RESTAPI {
    /// `GET /api/tasks/{id}/log`: the task's log — the newest lines its work wrote (bounded, see
    /// ``TaskLog/Limits``).
    ///
    /// - Plain text by default, one line each: `2026-12-06T12:00:00.120Z info text`.
    /// - `?format=json` (or `Accept: application/json`): `{"lines": [...], "lastSequence": N, "droppedLines": N}`.
    /// - `?follow=1` (or `Accept: text/event-stream`): Server-Sent Events, one `log` event per line whose `id` is
    ///   the line's sequence number, live until the task ends (then an `end` event). `Last-Event-ID` (or
    ///   `?lastEventId=`) resumes after that line.
    func taskLog(_ id: TaskID, _ request: HTTPRequest, _ query: QueryParameters, _ requester: TaskOwner) -> HTTPReply {
        let accept = request.headers["Accept"] ?? ""
        let follow =
            query["follow"].map { ["1", "true", "yes", ""].contains($0.lowercased()) }
            ?? accept.contains("text/event-stream")
        guard follow else {
            let asJSON = query["format"] == "json" || (query["format"] == nil && accept.contains("application/json"))
            if let format = query["format"], format != "json", format != "text" {
                return .immediate(Problem.badRequest("'format' must be text or json, not '\(format)'.").response)
            }
            return Self.deferred { [self] () throws(Problem) in
                let log = try await lookUp(id, requester).log
                if asJSON { return Self.json(Self.logJSON(log)) }
                let text = log.lines.map(Self.logLineText).joined()
                return HTTPResponse(
                    status: 200, contentType: "text/plain; charset=utf-8", body: Array(text.utf8),
                    headers: ["Cache-Control": "no-cache"])
            }
        }
        let resumeText = request.headers["Last-Event-ID"] ?? query["lastEventId"]
        var resumeAfter: UInt64 = 0
        if let resumeText, !resumeText.isEmpty {
            guard let value = UInt64(resumeText) else {
                return .immediate(
                    Problem.badRequest("Last-Event-ID must be the sequence number of a log line, not '\(resumeText)'.")
                        .response)
            }
            resumeAfter = value
        }
        return Self.deferred { [self, resumeAfter] () throws(Problem) in
            let stream = SSEStream(limits: streamLimits)
            let follower = LogFollower(stream: stream, after: resumeAfter)
            // Subscribe before reading the task, so no line logged in between is missed.
            let (_, subscription) = engine.events.subscribe(after: engine.events.lastSequence, visibleTo: requester) {
                event in
                guard event.task.id == id else { return }
                follower.deliver(event)
            }
            stream.onTermination { _ in subscription.cancel() }
            let record: TaskRecord
            do throws(Problem) {
                record = try await lookUp(id, requester)
            } catch {
                subscription.cancel()
                throw error
            }
            follower.start(with: record)
            return .eventStream(stream, headers: ["X-Accel-Buffering": "no"])
        }
    }

    static func logJSON(_ log: TaskLog) -> JSONValue {
        [
            "lines": .array(log.lines.map(logLineJSON)),
            "lastSequence": .int(Int64(clamping: log.lastSequence)),
            "droppedLines": .int(Int64(clamping: log.droppedLines)),
        ]
    }

    static func logLineJSON(_ line: TaskLogLine) -> JSONValue {
        [
            "sequence": .int(Int64(clamping: line.sequence)),
            "at": .string(Timestamp.rfc3339(millisecondsSinceEpoch: line.at)),
            "level": .string(line.level.rawValue), "text": .string(line.text),
        ]
    }

    static func logLineText(_ line: TaskLogLine) -> String {
        "\(Timestamp.rfc3339(millisecondsSinceEpoch: line.at)) \(line.level.rawValue) \(line.text)\n"
    }
}

/// Relays one task's log lines to an event stream: the stored lines first, then live ones, each exactly once and
/// in order, until the task ends.
final class LogFollower: Sendable {
    private struct State {
        var started = false
        var pending: [TaskEvent] = []
        /// The sequence number of the last line sent.
        var sent: UInt64
        var ended = false
    }

    private let stream: SSEStream
    private let state: Mutex<State>

    init(stream: SSEStream, after: UInt64) {
        self.stream = stream
        self.state = Mutex(State(sent: after))
    }

    /// Called by the hub on the publisher's thread.
    func deliver(_ event: TaskEvent) {
        state.withLock { state in
            if state.started {
                relay(event, &state)
            } else {
                state.pending.append(event)
            }
        }
    }

    /// Sends the stored lines after the resume point, then what arrived meanwhile, and goes live.
    func start(with record: TaskRecord) {
        state.withLock { state in
            stream.send(SSEEvent(event: "ready", data: "{}", retry: 2000))
            send(Array(record.log.lines(after: state.sent)), &state)
            for event in state.pending { relay(event, &state) }
            state.pending = []
            state.started = true
            if record.status.isTerminal { end(record, &state) }
        }
    }

    private func relay(_ event: TaskEvent, _ state: inout State) {
        guard !state.ended else { return }
        switch event.change {
        case .log(let lines): send(lines, &state)
        case .deleted: end(event.task, &state)
        default: if event.task.status.isTerminal { end(event.task, &state) }
        }
    }

    private func send(_ lines: [TaskLogLine], _ state: inout State) {
        for line in lines where line.sequence > state.sent {
            let data = JSONWriter.string(RESTAPI.logLineJSON(line), options: .sortedKeys)
            stream.send(SSEEvent(id: String(line.sequence), event: "log", data: data))
            state.sent = line.sequence
        }
    }

    private func end(_ record: TaskRecord, _ state: inout State) {
        state.ended = true
        stream.send(SSEEvent(event: "end", data: JSONWriter.string(["status": .string(record.status.rawValue)])))
        stream.finish()
    }
}
