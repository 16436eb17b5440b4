import CNghttp2
import Logging

/// HTTP/2 over cleartext (h2c) on one connection, on an nghttp2 server session.
///
/// Bytes read go to `nghttp2_session_mem_recv`, whose callbacks build ``HTTP2Stream``s and hand finished
/// requests to the same ``HTTPResponder`` HTTP/1.1 uses; responses are submitted back to the session and
/// its frames (`nghttp2_session_mem_send`) written to the ``ConnectionOutput``.
///
/// - Streams: up to `http2MaxConcurrentStreams` at once, each with its own flow-control window, so an
///   event stream whose reader stalls waits alone (its ``SSEStream`` overflows and that stream is reset)
///   while the others go on.
/// - Output is bounded: once more than ``outputHighWater`` bytes wait behind a full socket, the handler
///   stops asking nghttp2 for frames and stops reading until the socket drains, so a flood of `PING`s or
///   `SETTINGS` piles up inside nghttp2, which counts it (`http2MaxQueuedAcks`) and gives up.
/// - Floods: rapid reset (``HTTP2ResetBudget``, then `GOAWAY ENHANCE_YOUR_CALM`), `CONTINUATION` and
///   `SETTINGS` floods and oversized header lists are refused; see ``HTTPServerConfiguration``.
/// - Shutdown: `GOAWAY` notice and a `PING`; when the ping returns (or after ``goawayDelay``), the final
///   `GOAWAY` with the last stream taken. Event streams end, in-flight requests finish, then it closes.
///
/// nghttp2 calls back with an unretained pointer to this handler, only from inside `mem_recv`/`mem_send`
/// calls made here; the session is deleted in ``connectionClosed()`` (or `deinit`), after which no call
/// reaches nghttp2. The handler holds its output strongly, so nothing it runs after the close can reach a
/// freed connection. Confined to the connection's queue (hence `@unchecked Sendable`).
final class HTTP2ConnectionHandler: ConnectionHandler, @unchecked Sendable {
    /// Bytes allowed to wait behind a full socket before output and input pause.
    static let outputHighWater = 256 * 1024
    /// How long the final `GOAWAY` waits for the shutdown `PING` to come back.
    static let goawayDelay = Duration.seconds(1)
    /// The opaque data of the shutdown `PING`.
    static let shutdownPing: [UInt8] = Array("errandGA".utf8)

    enum ShutdownPhase {
        case running
        /// Notice sent; the final `GOAWAY` goes when the `PING` returns or at `deadline`.
        case noticeSent(deadline: UInt64)
        case goawaySent
    }

    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let logger: Logger
    /// Strong, as in ``HTTP1ConnectionHandler``: the connection lets go of its handler once closed, which ends
    /// the cycle. A handler that outlives its connection (a deferred answer or an event stream's wake-up still
    /// on its way) thus always reaches a live output, whose calls do nothing once it has closed.
    let output: any ConnectionOutput
    /// Monotonic nanoseconds.
    let clock: () -> UInt64
    /// The `date` header value for now.
    let date: () -> [UInt8]

    /// `nil` once the connection has closed.
    var session: OpaquePointer?
    var streams: [Int32: HTTP2Stream] = [:]
    var resetBudget: HTTP2ResetBudget
    var shutdownPhase = ShutdownPhase.running
    /// ``ConnectionOutput/close(lingering:)`` has been called, or will be once nghttp2 is done.
    var closing = false
    var closed = false
    /// Close lingering (the client may still be sending) rather than at once.
    var lingerOnClose = false
    var outputPaused = false
    var pumpQueued = false
    /// Streams whose request has not fully arrived; while any exist, a silent client times out.
    var incompleteRequests = 0
    var eventStreamCount = 0
    /// Request body bytes held against the connection's budget (the sum of the streams' `heldBodyBytes`).
    var heldBodyBytes = 0
    var nextKeepAlive: UInt64?
    var idleSince: UInt64
    var lastReadAt: UInt64

    /// Creates the server session and queues the server's SETTINGS; nothing is written before
    /// ``start()``. `nil` if nghttp2 cannot allocate a session.
    init?(
        configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger,
        output: any ConnectionOutput, clock: @escaping () -> UInt64, date: @escaping () -> [UInt8]
    ) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.output = output
        self.clock = clock
        self.date = date
        let now = clock()
        self.idleSince = now
        self.lastReadAt = now
        self.resetBudget = HTTP2ResetBudget(
            limit: configuration.http2MaxClientResets, window: configuration.http2ClientResetWindow, now: now)
        guard let session = Self.makeSession(configuration, userData: Unmanaged.passUnretained(self).toOpaque())
        else { return nil }
        self.session = session
        Self.submitSettings(session, configuration)
    }

    deinit {
        if let session { nghttp2_session_del(session) }
    }

    /// Writes the server preface (and anything already submitted). Call once, before the first bytes.
    func start() {
        pump()
    }

    // MARK: ConnectionHandler

    func receive(_ bytes: UnsafeRawBufferPointer) {
        guard let session, !closing else { return }
        lastReadAt = clock()
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let result = nghttp2_session_mem_recv(session, base, bytes.count)
        if result < 0 {
            sessionFailed(Int32(result), while: "reading")
            return
        }
        pump()
    }

    func inputClosed() {
        guard !closed, !closing else { return }
        // A client that half-closes has nothing more to ask; what is in flight cannot be read back reliably.
        closeNow(lingering: false)
    }

    var nextDeadline: UInt64? {
        guard !closed, !closing else { return nil }
        var deadline = nextKeepAlive ?? UInt64.max
        if streams.isEmpty {
            deadline = min(deadline, idleSince &+ configuration.idleTimeout.nanoseconds)
        }
        if incompleteRequests > 0 {
            deadline = min(deadline, lastReadAt &+ configuration.bodyReadTimeout.nanoseconds)
        }
        if case .noticeSent(let goawayAt) = shutdownPhase { deadline = min(deadline, goawayAt) }
        return deadline == UInt64.max ? nil : deadline
    }

    func timerFired() {
        guard let session, !closed, !closing else { return }
        let now = clock()
        if let keepAlive = nextKeepAlive, now >= keepAlive { sendKeepAlives(now: now) }
        if case .noticeSent(let goawayAt) = shutdownPhase, now >= goawayAt { sendFinalGoaway() }
        if incompleteRequests > 0, now >= lastReadAt &+ configuration.bodyReadTimeout.nanoseconds {
            for stream in streams.values where !stream.requestComplete {
                nghttp2_submit_rst_stream(
                    session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream.id, NGHTTP2_CANCEL.rawValue)
            }
        }
        if streams.isEmpty, now >= idleSince &+ configuration.idleTimeout.nanoseconds {
            logger.trace("Closing idle HTTP/2 connection", metadata: ["peer": "\(output.remoteAddress)"])
            nghttp2_session_terminate_session(session, NGHTTP2_NO_ERROR.rawValue)
        }
        pump()
    }

    func beginGracefulShutdown() {
        guard let session, !closed, !closing, case .running = shutdownPhase else { return }
        nghttp2_submit_shutdown_notice(session)
        Self.shutdownPing.withUnsafeBufferPointer {
            _ = nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), $0.baseAddress)
        }
        shutdownPhase = .noticeSent(deadline: clock() &+ Self.goawayDelay.nanoseconds)
        // Event streams end cleanly (END_STREAM after what is queued); other requests finish.
        for stream in streams.values { stream.events?.stream.cancel() }
        pump()
    }

    func connectionClosed() {
        guard !closed else { return }
        closed = true
        closing = true
        let open = streams.values
        streams.removeAll()
        for stream in open { release(stream) }
        if let session {
            self.session = nil
            nghttp2_session_del(session)
        }
    }

    func outputDrained() {
        guard outputPaused, !closed else { return }
        outputPaused = false
        output.setReadingEnabled(true)
        pump()
    }

    // MARK: output

    /// Sends the final `GOAWAY`, naming the last stream this server took.
    func sendFinalGoaway() {
        guard let session, case .noticeSent = shutdownPhase else { return }
        shutdownPhase = .goawaySent
        nghttp2_submit_goaway(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
            NGHTTP2_NO_ERROR.rawValue, nil, 0)
    }

    /// Runs ``pump()`` once, later on the connection's queue: coalesces bursts of wake-ups.
    func schedulePump() {
        guard !pumpQueued else { return }
        pumpQueued = true
        output.execute { [self] in
            pumpQueued = false
            pump()
        }
    }

    /// Moves what nghttp2 has to send into the output, as far as the bound allows, then closes when the
    /// session has nothing more to read or write.
    func pump() {
        guard let session, !closing else { return }
        let highWater = min(Self.outputHighWater, max(configuration.maxPendingWriteBytes / 2, 16 * 1024))
        while true {
            if output.pendingWriteBytes >= highWater {
                if !outputPaused {
                    outputPaused = true
                    output.setReadingEnabled(false)
                }
                return
            }
            var batch: [UInt8] = []
            while batch.count < highWater {
                var data: UnsafePointer<UInt8>?
                let count = nghttp2_session_mem_send(session, &data)
                if count < 0 {
                    sessionFailed(Int32(count), while: "writing")
                    return
                }
                guard count > 0, let data else { break }
                batch.append(contentsOf: UnsafeBufferPointer(start: data, count: count))
            }
            if !batch.isEmpty {
                output.write(batch)
                output.flush()
            }
            if batch.count < highWater || closed { break }
        }
        if nghttp2_session_want_read(session) == 0, nghttp2_session_want_write(session) == 0 {
            closeNow(lingering: lingerOnClose)
        }
    }

    /// nghttp2 reported a fatal error: tell the client when that still makes sense, then close.
    func sessionFailed(_ code: Int32, while action: String) {
        let reason = String(cString: nghttp2_strerror(code))
        logger.debug(
            "HTTP/2 session failed",
            metadata: ["peer": "\(output.remoteAddress)", "while": "\(action)", "error": "\(reason)"])
        guard let session, code != NGHTTP2_ERR_FLOODED.rawValue, code != NGHTTP2_ERR_NOMEM.rawValue else {
            if code == NGHTTP2_ERR_FLOODED.rawValue {
                logger.notice(
                    "Disconnecting an HTTP/2 client that floods", metadata: ["peer": "\(output.remoteAddress)"])
            }
            closing = true
            output.abort()
            return
        }
        let errorCode =
            code == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue
            ? NGHTTP2_ENHANCE_YOUR_CALM.rawValue : NGHTTP2_PROTOCOL_ERROR.rawValue
        lingerOnClose = true
        if nghttp2_session_terminate_session(session, errorCode) == 0, action == "reading" {
            pump()
            if closing { return }
        }
        closeNow(lingering: true)
    }

    func closeNow(lingering: Bool) {
        guard !closing else { return }
        closing = true
        output.close(lingering: lingering)
    }
}
