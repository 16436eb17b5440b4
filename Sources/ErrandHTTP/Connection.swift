import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One accepted socket on an ``EventLoop``: its readiness interest, a write buffer and a close sequence.
/// Speaks no protocol itself; bytes go to its ``ConnectionHandler``.
///
/// Close sequence: ``close(lingering:)`` flushes what is queued, then closes; when lingering it first
/// half-closes (`shutdown(SHUT_WR)`) and reads and discards until the peer closes or ``lingerTimeout``
/// passes, so that an error response is not destroyed by a reset while the client was still sending.
/// ``abort()`` skips all that.
///
/// Slow readers: bytes queued while the socket is not writable count against `maxPendingWriteBytes`;
/// past it the connection is aborted (a client that stops reading an event stream is dropped, not
/// buffered for without bound). A single write to a writable socket may exceed the limit: a large sized
/// response to a client that reads is not a slow reader.
///
/// Confined to its loop's thread (hence `@unchecked Sendable`); only ``execute(_:)`` may be called elsewhere.
final class Connection: ConnectionOutput, @unchecked Sendable {
    /// How long a closing connection waits for the peer to read the last response and close.
    static let lingerTimeout = Duration.seconds(2)

    private enum State {
        case open
        /// Flushing the last bytes; `deadline` bounds a peer that never reads them.
        case closing(deadline: UInt64, lingering: Bool)
        /// Half-closed, discarding input until the peer closes or `deadline` passes.
        case lingering(deadline: UInt64)
        case closed
    }

    let fd: Int32
    let remoteAddress: String
    private let loop: EventLoop
    private let maxPendingWriteBytes: Int
    private let closeTimeout: UInt64
    private let logger: Logger
    private(set) var handler: (any ConnectionHandler)!
    private var state = State.open
    private var readWanted = true
    private var sawEndOfInput = false
    private var writeBlocked = false
    /// What the selector watches for now.
    private var watching = (read: true, write: false)
    private var pending: [UInt8] = []
    private var pendingOffset = 0

    init(fd: Int32, loop: EventLoop, configuration: HTTPServerConfiguration, logger: Logger) {
        self.fd = fd
        self.loop = loop
        self.remoteAddress = Socket.peerName(fd)
        self.maxPendingWriteBytes = configuration.maxPendingWriteBytes
        self.closeTimeout = max(configuration.idleTimeout.nanoseconds, Self.lingerTimeout.nanoseconds)
        self.logger = logger
    }

    /// Installs the handler. The loop has registered the socket for reading.
    func start(handler: any ConnectionHandler) {
        self.handler = handler
    }

    var pendingWriteBytes: Int { pending.count - pendingOffset }

    // MARK: reading

    /// The selector reported input (or a hang-up).
    func readable() {
        let buffer = loop.readBuffer
        let result: IOResult<Int>
        do {
            result = try Socket.read(fd, into: buffer)
        } catch {
            logger.debug("Connection read failed", metadata: ["peer": "\(remoteAddress)", "error": "\(error)"])
            abort()
            return
        }
        guard case .processed(let count) = result else { return }
        if count == 0 {
            sawEndOfInput = true
            updateInterest()
            switch state {
            case .open: handler.inputClosed()
            case .lingering: teardown()
            case .closing, .closed: break
            }
            return
        }
        if case .open = state {
            handler.receive(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    func setReadingEnabled(_ enabled: Bool) {
        readWanted = enabled
        updateInterest()
    }

    private func updateInterest() {
        let read: Bool
        switch state {
        case .open, .closing: read = readWanted && !sawEndOfInput
        case .lingering: read = !sawEndOfInput
        case .closed: return
        }
        guard read != watching.read || writeBlocked != watching.write else { return }
        watching = (read, writeBlocked)
        do {
            try loop.selector.reregister(fd, read: read, write: writeBlocked)
        } catch {
            logger.debug(
                "Could not change socket interest", metadata: ["peer": "\(remoteAddress)", "error": "\(error)"])
            abort()
        }
    }

    // MARK: writing

    func write(_ bytes: [UInt8]) {
        guard case .open = state, !bytes.isEmpty else { return }
        if writeBlocked, pendingWriteBytes + bytes.count > maxPendingWriteBytes {
            logger.notice(
                "Disconnecting a client that does not read its responses",
                metadata: ["peer": "\(remoteAddress)", "pendingBytes": "\(pendingWriteBytes + bytes.count)"])
            abort()
            return
        }
        if pendingOffset == pending.count {
            pending = bytes
            pendingOffset = 0
        } else {
            if pendingOffset > 0 {
                pending.removeSubrange(0..<pendingOffset)
                pendingOffset = 0
            }
            pending.append(contentsOf: bytes)
        }
    }

    func flush() {
        switch state {
        case .open, .closing: if !writeBlocked { flushNow() }
        case .lingering, .closed: return
        }
    }

    /// The selector reported the socket writable.
    func writable() {
        switch state {
        case .open, .closing: flushNow()
        case .lingering, .closed: return
        }
    }

    private func flushNow() {
        while pendingOffset < pending.count {
            let result: IOResult<Int>
            do {
                result = try pending.withUnsafeMutableBytes { bytes throws(SocketError) in
                    var vector = iovec(
                        iov_base: bytes.baseAddress! + pendingOffset, iov_len: bytes.count - pendingOffset)
                    return try withUnsafeMutablePointer(to: &vector) { (pointer) throws(SocketError) in
                        try Socket.send(fd, UnsafeMutableBufferPointer(start: pointer, count: 1))
                    }
                }
            } catch {
                logger.debug("Connection write failed", metadata: ["peer": "\(remoteAddress)", "error": "\(error)"])
                abort()
                return
            }
            switch result {
            case .wouldBlock:
                if !writeBlocked {
                    writeBlocked = true
                    updateInterest()
                }
                return
            case .processed(let written):
                pendingOffset += written
            }
        }
        pending.removeAll(keepingCapacity: pending.capacity <= 64 * 1024)
        pendingOffset = 0
        let wasBlocked = writeBlocked
        if writeBlocked {
            writeBlocked = false
            updateInterest()
        }
        switch state {
        case .closing(_, let lingering):
            if lingering { beginLinger() } else { teardown() }
        case .open:
            if wasBlocked { handler.outputDrained() }
        case .lingering, .closed:
            break
        }
    }

    // MARK: closing

    func close(lingering: Bool) {
        guard case .open = state else { return }
        state = .closing(deadline: loop.now() &+ closeTimeout, lingering: lingering)
        if !writeBlocked { flushNow() }
    }

    private func beginLinger() {
        Socket.shutdownWrite(fd)
        state = .lingering(deadline: loop.now() &+ Self.lingerTimeout.nanoseconds)
        if sawEndOfInput {
            teardown()
        } else {
            updateInterest()
        }
    }

    func abort() {
        switch state {
        case .closed: return
        case .open, .closing, .lingering:
            // Tear down later in this loop iteration, so a handler calling this never re-enters itself.
            pending = []
            pendingOffset = 0
            state = .lingering(deadline: 0)
            loop.execute { [self] in teardown() }
        }
    }

    /// Called by the event loop's tick.
    func checkTimers(now: UInt64) {
        switch state {
        case .open:
            if let deadline = handler.nextDeadline, now >= deadline { handler.timerFired() }
        case .closing(let deadline, _), .lingering(let deadline):
            if now >= deadline { teardown() }
        case .closed:
            break
        }
    }

    func beginGracefulShutdown() {
        if case .open = state { handler.beginGracefulShutdown() }
    }

    /// Closes now, on the loop's thread, without waiting for a later turn (the loop is stopping).
    func closeImmediately() {
        teardown()
    }

    private func teardown() {
        if case .closed = state { return }
        state = .closed
        pending = []
        loop.deregister(self)
        handler.connectionClosed()
        handler = nil  // the handler holds its output strongly: break the cycle
    }

    // MARK: ConnectionOutput

    func execute(_ work: @escaping @Sendable () -> Void) {
        loop.execute(work)
    }

    func replaceHandler(with handler: any ConnectionHandler, replaying bytes: [UInt8]) {
        guard case .open = state else { return }
        self.handler = handler
        if !bytes.isEmpty { bytes.withUnsafeBytes { handler.receive($0) } }
    }
}
