/// Everything the HTTP server limits or waits for, with documented defaults.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind. Default `127.0.0.1` (loopback only).
    public var host: String = "127.0.0.1"
    /// Port to bind; `0` picks a free port. Default 8080.
    public var port: Int = 8080
    /// `listen(2)` backlog. Default 1,024.
    public var backlog: Int = 1024
    /// Open connections accepted at once; further clients are accepted and closed at once. Default 10,000.
    public var maxConnections: Int = 10_000
    /// Longest request line (method, target, version). Longer → 414. Default 8 KiB.
    public var maxRequestLineLength: Int = 8 * 1024
    /// Longest single header field line. Longer → 431. Default 8 KiB.
    public var maxHeaderFieldLength: Int = 8 * 1024
    /// Most header fields in one request. More → 431. Default 100.
    public var maxHeaderCount: Int = 100
    /// Most bytes of request line plus headers. More → 431. Default 32 KiB.
    public var maxHeaderBytes: Int = 32 * 1024
    /// Largest request body (sized or chunked). Larger → 413. Default 4 MiB.
    public var maxBodyBytes: Int = 4 * 1024 * 1024
    /// Time allowed to receive a complete request head once its first byte arrived. Then → 408. Default 10 s.
    public var headerReadTimeout: Duration = .seconds(10)
    /// Time allowed between body bytes. Then → 408 (HTTP/2: streams still receiving their request are
    /// reset with `CANCEL`). Default 30 s.
    public var bodyReadTimeout: Duration = .seconds(30)
    /// An idle keep-alive connection is closed after this; an HTTP/2 connection is idle while it has no
    /// open stream, and gets `GOAWAY NO_ERROR` first. Default 60 s.
    public var idleTimeout: Duration = .seconds(60)
    /// Interval of `: keep-alive` comments on open event streams. Default 15 s.
    public var sseKeepAliveInterval: Duration = .seconds(15)
    /// Most unsent response bytes per connection before a slow reader is disconnected. Default 8 MiB.
    public var maxPendingWriteBytes: Int = 8 * 1024 * 1024
    /// Requests pipelined ahead of the one being answered before the server stops reading. Default 16.
    public var maxPipelinedRequests: Int = 16
    /// Event loops (threads waiting on epoll, each owning a share of the connections). `0`, the default,
    /// means one per online CPU.
    public var eventLoopCount: Int = 0

    // MARK: HTTP/2 (cleartext h2c: prior knowledge, or `Upgrade: h2c`)

    /// Accept HTTP/2 on a connection that opens with its preface or asks for `Upgrade: h2c`. When `false`
    /// the preface is answered with 505 and the upgrade is ignored. Default `true`.
    public var http2Enabled: Bool = true
    /// `SETTINGS_MAX_CONCURRENT_STREAMS`: streams one client may have open at once. A stream past it is
    /// refused with `RST_STREAM REFUSED_STREAM`. Default 256.
    public var http2MaxConcurrentStreams: Int = 256
    /// `SETTINGS_MAX_HEADER_LIST_SIZE`: the largest request header list (names, values and 32 bytes per
    /// field, RFC 9113 §6.5.2). A larger one → 431 on that stream. Default 32 KiB.
    public var http2MaxHeaderListSize: Int = 32 * 1024
    /// The receive window of a stream admitted to the connection's body budget
    /// (``http2MaxConnectionBodyBytes``): request body bytes a client may send on it before it waits for a
    /// `WINDOW_UPDATE` (at least 65,535). Every stream starts with HTTP/2's default, 65,535 bytes, as
    /// `SETTINGS_INITIAL_WINDOW_SIZE`. Default 1 MiB.
    public var http2InitialWindowSize: Int = 1024 * 1024
    /// Request body bytes one HTTP/2 connection may hold across all its streams: bodies still arriving,
    /// and those of requests whose response has not been sent yet (an event stream's, until it starts).
    /// Window updates give bytes back only as bodies are let go, so a client sending more waits instead of
    /// being buffered (the connection's receive window is twice this, since nghttp2 announces given-back
    /// bytes once they reach half the window). A stream may send its first 65,535
    /// bytes at once; it is admitted to send the rest, oldest first, while the budget holds its whole body
    /// (`content-length`, else ``maxBodyBytes``) beside what every other stream may send. Raised to
    /// ``http2MaxConcurrentStreams`` × 65,535 + 2 × ``maxBodyBytes`` if smaller, so every request can
    /// always finish. Default 24 MiB (the least for the other defaults).
    public var http2MaxConnectionBodyBytes: Int = 24 * 1024 * 1024
    /// `RST_STREAM` frames a client may send within ``http2ClientResetWindow``. One more and the connection
    /// is closed with `GOAWAY ENHANCE_YOUR_CALM` (the rapid-reset attack, CVE-2023-44487). Default 200.
    public var http2MaxClientResets: Int = 200
    /// The window ``http2MaxClientResets`` counts in. Default 10 s.
    public var http2ClientResetWindow: Duration = .seconds(10)
    /// `SETTINGS` and `PING` acknowledgements queued unsent before the client counts as flooding and the
    /// connection is closed. Default 1,000.
    public var http2MaxQueuedAcks: Int = 1000
    /// `CONTINUATION` frames accepted after one `HEADERS` frame; more closes the connection (the
    /// CONTINUATION flood). Default 8.
    public var http2MaxContinuationFrames: Int = 8

    public init() {}

    /// ``http2MaxConnectionBodyBytes`` as the server applies it: at least what every stream may send before
    /// it is admitted plus two whole bodies, at most `Int32.max`, the largest window HTTP/2 allows.
    public var effectiveHTTP2ConnectionBodyBytes: Int {
        let floor =
            min(max(1, http2MaxConcurrentStreams), 1 << 31) * Self.http2FirstStreamWindow + 2 * max(0, maxBodyBytes)
        return min(max(http2MaxConnectionBodyBytes, floor), Int(Int32.max))
    }

    /// The connection's receive window: twice the body budget (nghttp2 sends a connection `WINDOW_UPDATE`
    /// once the bytes given back reach half the window, so with the budget held and less than half given
    /// back unannounced, the client can always send), at most `Int32.max`.
    package var http2ConnectionWindowSize: Int32 { Int32(clamping: 2 * effectiveHTTP2ConnectionBodyBytes) }

    /// The window every HTTP/2 stream starts with (HTTP/2's default, sent as `SETTINGS_INITIAL_WINDOW_SIZE`).
    public static let http2FirstStreamWindow = 65_535

    /// The window of an admitted stream: ``http2InitialWindowSize``, at least 65,535, at most `Int32.max`.
    package var admittedHTTP2WindowSize: Int32 {
        Int32(clamping: max(http2InitialWindowSize, Self.http2FirstStreamWindow))
    }
}
