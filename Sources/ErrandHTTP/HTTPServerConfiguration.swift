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
    /// Time allowed between body bytes. Then → 408. Default 30 s.
    public var bodyReadTimeout: Duration = .seconds(30)
    /// An idle keep-alive connection is closed after this. Default 60 s.
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

    public init() {}
}
