/// The byte-level protocol spoken on one connection: HTTP/1.1 (``HTTP1ConnectionHandler``) or HTTP/2
/// (``HTTP2ConnectionHandler``), on the same socket layer.
///
/// A ``Connection`` owns the socket, its readiness sources, its write buffer and its timers; it hands
/// every byte it reads to its handler and knows nothing about HTTP. The handler parses, calls the
/// application and writes bytes back through its ``ConnectionOutput``. Every method is called on the
/// connection's serial queue, and a handler only touches its state there (deferred work hops back with
/// ``ConnectionOutput/execute(_:)``).
///
/// Switching protocol: a handler that recognises another protocol (the HTTP/2 preface
/// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, or an accepted `Upgrade: h2c`) calls
/// ``ConnectionOutput/replaceHandler(with:replaying:)`` with the new handler and the bytes it has not
/// consumed, and returns at once; the connection feeds those bytes, and everything after, to the new
/// handler.
protocol ConnectionHandler: AnyObject, Sendable {
    /// Bytes read from the peer. The buffer is only valid during the call.
    func receive(_ bytes: UnsafeRawBufferPointer)
    /// The peer closed its sending side (read returned end-of-stream).
    func inputClosed()
    /// The monotonic time (nanoseconds, the clock the handler was given) at which ``timerFired()`` should
    /// next be called, or `nil` for no timer. Polled by the event loop's tick, so it must be cheap.
    var nextDeadline: UInt64? { get }
    /// ``nextDeadline`` has passed: send keep-alives, answer 408, close idle connections.
    func timerFired()
    /// The server is shutting down: take no new requests, finish those in flight, end event streams, then
    /// close.
    func beginGracefulShutdown()
    /// The connection is gone, closed by either side or aborted. Release streams and in-flight work.
    /// Called exactly once, and last; the connection then drops its reference to the handler, so a
    /// handler may hold its ``ConnectionOutput`` strongly.
    func connectionClosed()
    /// Every byte queued behind a full socket has now been sent (``ConnectionOutput/pendingWriteBytes`` is
    /// back to zero). A handler that paused its output to bound the queue resumes here. Default: nothing.
    func outputDrained()
}

extension ConnectionHandler {
    func outputDrained() {}
}

/// What a ``ConnectionHandler`` writes to and controls its connection with. Implemented by
/// ``Connection``; tests use a recording fake.
protocol ConnectionOutput: AnyObject, Sendable {
    /// `host:port` of the peer, for logs and ``HTTPRequest/remoteAddress``.
    var remoteAddress: String { get }
    /// Bytes queued that the socket has not taken yet.
    var pendingWriteBytes: Int { get }
    /// Queues bytes; nothing is sent before ``flush()``.
    func write(_ bytes: [UInt8])
    /// Sends what is queued as far as the socket takes it; the rest goes when the socket is writable.
    /// A peer that lets more than `maxPendingWriteBytes` pile up behind a full socket is disconnected.
    func flush()
    /// Flushes, then closes. With `lingering`, half-closes first and discards input until the peer closes
    /// or a linger timeout passes, so that a peer still sending (after an error response) does not get a
    /// reset that destroys the response before it reads it.
    func close(lingering: Bool)
    /// Closes now, dropping unsent bytes.
    func abort()
    /// Stops or resumes reading (back-pressure for pipelined requests).
    func setReadingEnabled(_ enabled: Bool)
    /// Runs `work` on the connection's queue, later. Safe from any thread.
    func execute(_ work: @escaping @Sendable () -> Void)
    /// Hands the connection to another protocol handler, feeding it `bytes` first.
    func replaceHandler(with handler: any ConnectionHandler, replaying bytes: [UInt8])
}
