import Dispatch
public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An HTTP/1.1 and HTTP/2 (h2c) server on POSIX sockets and Dispatch.
///
/// Connections are spread over one event loop per CPU: a Dispatch thread that waits on epoll for its
/// non-blocking sockets and reads, parses, answers and writes on the spot, so no thread ever blocks on a
/// client and the fast path involves no thread hop. ``start()`` binds and
/// starts accepting; ``shutdown(gracePeriod:)`` stops. A server runs once: it cannot be restarted.
///
/// ```swift
/// let server = HTTPServer(configuration: configuration, responder: app, logger: logger)
/// let port = try server.start()
/// // ... until the process is told to stop (errand's commands run it as a swift-service-lifecycle service) ...
/// await server.shutdown(gracePeriod: .seconds(10))
/// ```
public final class HTTPServer: Sendable {
    private enum State {
        case idle
        case running(Listener, [EventLoop])
        case stopping
        case stopped
    }

    public let configuration: HTTPServerConfiguration
    private let responder: any HTTPResponder
    private let logger: Logger
    private let state = Mutex(State.idle)
    private let counter: ConnectionCounter
    private let nextLoop = Atomic<Int>(0)

    /// - Parameters:
    ///   - configuration: address, limits and timeouts; see ``HTTPServerConfiguration`` for defaults.
    ///   - responder: answers every request. It is called on a connection's queue and must not block;
    ///     slow work belongs in ``HTTPReply/deferred(_:)``.
    ///   - logger: `info` for start and stop, `notice` for slow readers and descriptor exhaustion, `debug`
    ///     for rejected requests and failed connections.
    public init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.counter = ConnectionCounter()
    }

    deinit {
        if case .running(let listener, let loops) = state.withLock({ $0 }) {
            listener.stop()
            for loop in loops { loop.stop() }
        }
    }

    /// Connections open right now (accepted and not yet fully closed).
    public var connectionCount: Int { counter.value.load(ordering: .relaxed) }

    /// Binds, listens and starts accepting connections. Ignores `SIGPIPE` for the process.
    ///
    /// - Returns: the port bound; with `port` 0 in the configuration, the one the system picked.
    /// - Throws: ``SocketError`` when the address cannot be resolved or bound, or `EALREADY` when the
    ///   server was started before.
    public func start() throws -> Int {
        try state.withLock { (state) throws(SocketError) in
            guard case .idle = state else {
                throw SocketError(errno: EALREADY, operation: "start an HTTP server that was already started")
            }
            Socket.ignoreSIGPIPE()
            let counter = self.counter
            let tick = Self.tickInterval(configuration)
            let loopCount =
                configuration.eventLoopCount > 0
                ? configuration.eventLoopCount : max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            let loops = try (0..<loopCount).map { (index) throws(SocketError) in
                try EventLoop(label: "errand.http.loop\(index)", tickInterval: tick) {
                    counter.value.subtract(1, ordering: .relaxed)
                }
            }
            let (fd, port) = try Socket.listen(
                host: configuration.host, port: configuration.port, backlog: configuration.backlog)
            let listener = Listener(fd: fd, port: port, logger: logger) { [weak self] fd in
                self?.adopt(fd, loops: loops)
            }
            state = .running(listener, loops)
            for loop in loops { loop.start() }
            listener.start()
            logger.info(
                "HTTP server listening",
                metadata: ["host": "\(configuration.host)", "port": "\(port)", "loops": "\(loops.count)"])
            return port
        }
    }

    /// Stops accepting, lets in-flight requests finish for up to `gracePeriod`, ends open event streams
    /// (their ``SSEStream/CloseReason`` is `cancelled`), closes idle connections, then closes whatever is
    /// left. Returns once every connection is closed. Calling it again, or before ``start()``, is harmless.
    public func shutdown(gracePeriod: Duration) async {
        let running: (Listener, [EventLoop])? = state.withLock { state in
            switch state {
            case .running(let listener, let loops):
                state = .stopping
                return (listener, loops)
            case .idle:
                state = .stopped
                return nil
            case .stopping, .stopped:
                return nil
            }
        }
        guard let (listener, loops) = running else { return }
        logger.info("HTTP server shutting down", metadata: ["connections": "\(connectionCount)"])
        listener.stop()
        for loop in loops { loop.execute { loop.beginGracefulShutdown() } }
        let clock = ContinuousClock()
        let deadline = clock.now + gracePeriod
        while connectionCount > 0, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        if connectionCount > 0 {
            logger.notice("Grace period over, closing connections", metadata: ["connections": "\(connectionCount)"])
            for loop in loops { loop.execute { loop.abortAll() } }
            let hardDeadline = clock.now + .seconds(2)
            while connectionCount > 0, clock.now < hardDeadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        for loop in loops { loop.stop() }
        state.withLock { $0 = .stopped }
        logger.info("HTTP server stopped")
    }

    /// Takes an accepted socket: enforces `maxConnections`, sets `TCP_NODELAY`, hands it to a loop.
    private func adopt(_ fd: Int32, loops: [EventLoop]) {
        let open = counter.value.wrappingAdd(1, ordering: .relaxed).newValue
        guard open <= configuration.maxConnections else {
            counter.value.subtract(1, ordering: .relaxed)
            logger.debug(
                "Refusing connection over maxConnections", metadata: ["limit": "\(configuration.maxConnections)"])
            Socket.close(fd)
            return
        }
        do {
            try Socket.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1, "set TCP_NODELAY")
        } catch {
            logger.debug("Could not set TCP_NODELAY", metadata: ["error": "\(error)"])
        }
        let loop = loops[nextLoop.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
        let configuration = configuration
        let responder = responder
        let logger = logger
        loop.execute {
            let connection = Connection(fd: fd, loop: loop, configuration: configuration, logger: logger)
            let handler = HTTP1ConnectionHandler(
                configuration: configuration, responder: responder, logger: logger, output: connection,
                clock: { loop.now() }, date: { loop.currentDate() })
            if configuration.http2Enabled {
                handler.http2Handler = { output in
                    HTTP2ConnectionHandler(
                        configuration: configuration, responder: responder, logger: logger, output: output,
                        clock: { loop.now() }, date: { loop.currentDate() })
                }
            }
            loop.register(connection, handler: handler)
        }
    }

    /// A quarter of the shortest timeout, between 10 ms and 250 ms.
    private static func tickInterval(_ configuration: HTTPServerConfiguration) -> Duration {
        let shortest = min(
            configuration.headerReadTimeout, configuration.bodyReadTimeout, configuration.idleTimeout,
            configuration.sseKeepAliveInterval)
        return min(max(shortest / 4, .milliseconds(10)), .milliseconds(250))
    }
}

/// The open-connection count, shared by the server and its loops.
final class ConnectionCounter: Sendable {
    let value = Atomic<Int>(0)
}
