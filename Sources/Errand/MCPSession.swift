public import ErrandEngine
import ErrandHTTP
public import ErrandProtocol
import Logging
import Synchronization

/// One MCP session: what `initialize` negotiated, the session's GET event stream, and the requests it has
/// in flight. Thread-safe; shared by the HTTP endpoint and the task notifier.
///
/// Messages for the GET stream while none is open wait in a backlog of ``backlogLimit``. Like an SSE reader
/// that falls behind (``SSEStream``), a session whose backlog overflows is not fed a silently gapped record:
/// the backlog is dropped, further messages are counted and dropped until the client opens its GET stream,
/// and that stream then starts with a `notifications/message` warning (``resyncNotice(dropped:)``) telling
/// the client how many it missed and to read its tasks again (`tasks/list`, `tasks/get`).
public final class MCPSession: Sendable {
    public let id: String
    public let protocolVersion: String
    public let clientCapabilities: JSONValue
    public let clientInfo: JSONValue
    /// The identity tasks created in this session belong to.
    public let owner: TaskOwner

    private struct State {
        var getStream: SSEStream?
        var lastActivityMs: Int64
        var inFlight: [JSONRPCID: @Sendable () -> Void] = [:]
        /// Messages for the GET stream while none is open (bounded).
        var backlog: [SSEEvent] = []
        /// Messages dropped since the backlog overflowed; the next GET stream starts with the resync notice.
        var unannouncedDrops = 0
        /// Messages dropped over the session's life.
        var droppedMessages = 0
        var closed = false
        /// The least severe task log line sent as `notifications/message` (`logging/setLevel`).
        var logLevel = TaskLogLevel.info
    }

    private let state: Mutex<State>
    private let logger: Logger
    /// Told how many messages each overflow and each later drop discards (the server's
    /// `errand_mcp_backlog_dropped_total`).
    private let countDrops: @Sendable (Int) -> Void
    /// Most messages kept for a session with no open GET stream; see the type's notes for an overflow.
    let backlogLimit: Int
    /// The default ``backlogLimit``.
    static let defaultBacklogLimit = 256

    init(
        id: String, protocolVersion: String, clientCapabilities: JSONValue, clientInfo: JSONValue, owner: TaskOwner,
        nowMs: Int64, backlogLimit: Int = MCPSession.defaultBacklogLimit,
        logger: Logger = Logger(label: "errand.mcp"), countDrops: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.backlogLimit = max(1, backlogLimit)
        self.logger = logger
        self.countDrops = countDrops
        self.id = id
        self.protocolVersion = protocolVersion
        self.clientCapabilities = clientCapabilities
        self.clientInfo = clientInfo
        self.owner = owner
        self.state = Mutex(State(lastActivityMs: nowMs))
    }

    /// Whether the session speaks a revision with Tasks (2025-11-25).
    public var supportsTasks: Bool { protocolVersion >= "2025-11-25" }

    var lastActivityMs: Int64 { state.withLock { $0.lastActivityMs } }

    /// The least severe log level the client wants to hear of (`logging/setLevel`; default `info`).
    public var logLevel: TaskLogLevel {
        get { state.withLock { $0.logLevel } }
        set { state.withLock { $0.logLevel = newValue } }
    }

    func touch(nowMs: Int64) { state.withLock { $0.lastActivityMs = nowMs } }

    /// Messages dropped over the session's life because its backlog overflowed.
    public var droppedMessages: Int { state.withLock { $0.droppedMessages } }

    /// Installs `stream` as the session's GET stream, closing any earlier one, and flushes the backlog into it
    /// (after the resync notice, if messages were dropped). Returns `false` (and cancels `stream`) if the
    /// session has ended.
    func attachGetStream(_ stream: SSEStream) -> Bool {
        let attached: (previous: SSEStream?, backlog: [SSEEvent], dropped: Int)? = state.withLock { state in
            guard !state.closed else { return nil }
            let previous = state.getStream
            state.getStream = stream
            let backlog = state.backlog
            let dropped = state.unannouncedDrops
            state.backlog = []
            state.unannouncedDrops = 0
            return (previous, backlog, dropped)
        }
        guard let attached else {
            stream.cancel()
            return false
        }
        attached.previous?.cancel()
        if attached.dropped > 0 { stream.send(Self.event(Self.resyncNotice(dropped: attached.dropped))) }
        for event in attached.backlog { stream.send(event) }
        stream.onTermination { [weak self] _ in
            self?.state.withLock { state in
                if state.getStream === stream { state.getStream = nil }
            }
        }
        return true
    }

    /// Sends a server-initiated message on the GET stream, or keeps it until one opens.
    func sendOnGetStream(_ message: JSONRPCMessage) { sendOnGetStream(event: Self.event(message)) }

    /// Sends an already-encoded message on the GET stream, or keeps it until one opens. Fan-out to many
    /// sessions encodes the message once and hands every session the same event.
    func sendOnGetStream(event: SSEEvent) {
        let (stream, dropped, overflowed): (SSEStream?, Int, Bool) = state.withLock { state in
            guard !state.closed else { return (nil, 0, false) }
            if let stream = state.getStream { return (stream, 0, false) }
            if state.unannouncedDrops > 0 {
                state.unannouncedDrops += 1
                state.droppedMessages += 1
                return (nil, 1, false)
            }
            guard state.backlog.count >= backlogLimit else {
                state.backlog.append(event)
                return (nil, 0, false)
            }
            let dropped = state.backlog.count + 1
            state.backlog = []
            state.unannouncedDrops = dropped
            state.droppedMessages += dropped
            return (nil, dropped, true)
        }
        if dropped > 0 { countDrops(dropped) }
        if overflowed {
            logger.notice(
                "MCP session backlog overflowed; dropping its messages until the client opens its GET stream",
                metadata: ["session": "\(id)", "limit": "\(backlogLimit)", "dropped": "\(dropped)"])
        }
        stream?.send(event)
    }

    /// The first message of a GET stream opened after the backlog overflowed: a `notifications/message` at
    /// level `warning` naming how many messages were missed and how to catch up.
    static func resyncNotice(dropped: Int) -> JSONRPCMessage {
        .notification(
            method: "notifications/message",
            params: [
                "level": "warning", "logger": "errand",
                "data": [
                    "message": .string(
                        "\(dropped) messages for this session were dropped while it had no open GET stream;"
                            + " read your tasks again (tasks/list, tasks/get) to resynchronise"),
                    "droppedMessages": .int(Int64(dropped)), "resync": true,
                ],
            ])
    }

    /// One JSON-RPC message as one SSE event (default event type, JSON on a single `data:` line).
    static func event(_ message: JSONRPCMessage) -> SSEEvent {
        SSEEvent(data: String(decoding: message.bytes, as: UTF8.self))
    }

    var hasGetStream: Bool { state.withLock { $0.getStream != nil } }

    /// Records a plain request's work so `notifications/cancelled` can stop it.
    func register(_ id: JSONRPCID, cancel: @escaping @Sendable () -> Void) {
        state.withLock { $0.inFlight[id] = cancel }
    }

    func unregister(_ id: JSONRPCID) { _ = state.withLock { $0.inFlight.removeValue(forKey: id) } }

    /// Whether request `id` is running and may be cancelled (tests wait for it before they cancel).
    func isInFlight(_ id: JSONRPCID) -> Bool { state.withLock { $0.inFlight[id] != nil } }

    /// Cancels an in-flight plain request; unknown ids are ignored, as the spec asks.
    func cancelRequest(_ id: JSONRPCID) { state.withLock { $0.inFlight.removeValue(forKey: id) }?() }

    /// Ends the session: closes its GET stream and cancels its plain requests (tasks keep running).
    func close() {
        let (stream, inFlight) = state.withLock { state in
            state.closed = true
            let result = (state.getStream, Array(state.inFlight.values))
            state.getStream = nil
            state.inFlight = [:]
            state.backlog = []
            state.unannouncedDrops = 0
            return result
        }
        stream?.cancel()
        for cancel in inFlight { cancel() }
    }

    /// Whether the client declared `capability` (e.g. `"elicitation"`).
    public func declares(_ capability: String) -> Bool { clientCapabilities[capability] != nil }
}
