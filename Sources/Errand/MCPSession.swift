public import ErrandEngine
import ErrandHTTP
public import ErrandProtocol
import Synchronization

/// One MCP session: what `initialize` negotiated, the session's GET event stream, and the requests it has
/// in flight. Thread-safe; shared by the HTTP endpoint and the task notifier.
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
        var closed = false
        /// The least severe task log line sent as `notifications/message` (`logging/setLevel`).
        var logLevel = TaskLogLevel.info
    }

    private let state: Mutex<State>
    /// Most messages kept for a session with no open GET stream.
    static let backlogLimit = 256

    init(
        id: String, protocolVersion: String, clientCapabilities: JSONValue, clientInfo: JSONValue, owner: TaskOwner,
        nowMs: Int64
    ) {
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

    /// Installs `stream` as the session's GET stream, closing any earlier one, and flushes the backlog into it.
    /// Returns `false` (and cancels `stream`) if the session has ended.
    func attachGetStream(_ stream: SSEStream) -> Bool {
        let attached: (previous: SSEStream?, backlog: [SSEEvent])? = state.withLock { state in
            guard !state.closed else { return nil }
            let previous = state.getStream
            state.getStream = stream
            let backlog = state.backlog
            state.backlog = []
            return (previous, backlog)
        }
        guard let attached else {
            stream.cancel()
            return false
        }
        attached.previous?.cancel()
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
        let stream: SSEStream? = state.withLock { state in
            guard !state.closed else { return nil }
            if let stream = state.getStream { return stream }
            if state.backlog.count >= Self.backlogLimit { state.backlog.removeFirst() }
            state.backlog.append(event)
            return nil
        }
        stream?.send(event)
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
            return result
        }
        stream?.cancel()
        for cancel in inFlight { cancel() }
    }

    /// Whether the client declared `capability` (e.g. `"elicitation"`).
    public func declares(_ capability: String) -> Bool { clientCapabilities[capability] != nil }
}
