import Dispatch
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One accepted socket: readiness sources, a write buffer and a close sequence, on its event loop's
/// serial queue. Speaks no protocol itself; bytes go to its ``ConnectionHandler``.
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
/// Confined to its loop's queue (hence `@unchecked Sendable`); only ``execute(_:)`` may be called elsewhere.
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
    private unowned let loop: EventLoop
    private let maxPendingWriteBytes: Int
    private let idleTimeout: UInt64
    private let logger: Logger
    private(set) var handler: (any ConnectionHandler)!
    private var state = State.open
    private let readSource: any DispatchSourceRead
    private var readRunning = false
    private var readWanted = true
    private var sawEndOfInput = false
    private var writeSource: (any DispatchSourceWrite)?
    private var writeRunning = false
    private var liveSources = 1
    private var pending: [UInt8] = []
    private var pendingOffset = 0

    init(fd: Int32, loop: EventLoop, configuration: HTTPServerConfiguration, logger: Logger) {
        self.fd = fd
        self.loop = loop
        self.remoteAddress = Socket.peerName(fd)
        self.maxPendingWriteBytes = configuration.maxPendingWriteBytes
        self.idleTimeout = configuration.idleTimeout.nanoseconds
        self.logger = logger
        self.readSource = DispatchSource.makeReadSource(fileDescriptor: fd, queue: loop.queue)
    }

    /// Installs the handler and starts reading. Call once, on the loop's queue.
    func start(handler: any ConnectionHandler) {
        self.handler = handler
        readSource.setEventHandler { [unowned self] in self.readable() }
        readSource.setCancelHandler { [self] in self.sourceCancelled() }
        updateReadSource()
    }

    var pendingWriteBytes: Int { pending.count - pendingOffset }

    var isOpen: Bool {
        if case .open = state { return true }
        return false
    }

    // MARK: reading

    private func readable() {
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
            updateReadSource()
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
        updateReadSource()
    }

    private func updateReadSource() {
        let wanted: Bool
        switch state {
        case .open, .closing: wanted = readWanted && !sawEndOfInput
        case .lingering: wanted = !sawEndOfInput
        case .closed: return
        }
        if wanted, !readRunning {
            readRunning = true
            readSource.resume()
        } else if !wanted, readRunning {
            readRunning = false
            readSource.suspend()
        }
    }

    // MARK: writing

    func write(_ bytes: [UInt8]) {
        guard case .open = state, !bytes.isEmpty else { return }
        if writeRunning, pendingWriteBytes + bytes.count > maxPendingWriteBytes {
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
        case .open, .closing: break
        case .lingering, .closed: return
        }
        if !writeRunning { flushNow() }
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
                startWriteSource()
                return
            case .processed(let written):
                pendingOffset += written
            }
        }
        pending.removeAll(keepingCapacity: pending.capacity <= 64 * 1024)
        pendingOffset = 0
        stopWriteSource()
        if case .closing(_, let lingering) = state {
            if lingering { beginLinger() } else { teardown() }
        }
    }

    private func startWriteSource() {
        guard !writeRunning else { return }
        if writeSource == nil {
            let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: loop.queue)
            source.setEventHandler { [unowned self] in self.flushNow() }
            source.setCancelHandler { [self] in self.sourceCancelled() }
            liveSources += 1
            writeSource = source
        }
        writeRunning = true
        writeSource?.resume()
    }

    private func stopWriteSource() {
        guard writeRunning else { return }
        writeRunning = false
        writeSource?.suspend()
    }

    // MARK: closing

    func close(lingering: Bool) {
        guard case .open = state else { return }
        state = .closing(deadline: loop.now() &+ max(idleTimeout, Self.lingerTimeout.nanoseconds), lingering: lingering)
        if !writeRunning { flushNow() }
    }

    private func beginLinger() {
        Socket.shutdownWrite(fd)
        state = .lingering(deadline: loop.now() &+ Self.lingerTimeout.nanoseconds)
        if sawEndOfInput {
            teardown()
        } else {
            updateReadSource()
        }
    }

    func abort() {
        switch state {
        case .closed: return
        case .open, .closing, .lingering:
            // Tear down on the next turn so a handler calling this never re-enters itself.
            pending = []
            pendingOffset = 0
            state = .lingering(deadline: 0)
            loop.queue.async { [self] in teardown() }
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

    private func teardown() {
        if case .closed = state { return }
        state = .closed
        pending = []
        handler.connectionClosed()
        if !readRunning { readSource.resume() }
        readSource.cancel()
        if let writeSource {
            if !writeRunning { writeSource.resume() }
            writeSource.cancel()
        }
    }

    /// The descriptor is closed only after every source watching it is cancelled.
    private func sourceCancelled() {
        liveSources -= 1
        guard liveSources == 0 else { return }
        Socket.close(fd)
        handler = nil
        loop.connectionClosed(self)
    }

    // MARK: ConnectionOutput

    func execute(_ work: @escaping @Sendable () -> Void) {
        loop.queue.async(execute: work)
    }

    func replaceHandler(with handler: any ConnectionHandler, replaying bytes: [UInt8]) {
        guard case .open = state else { return }
        self.handler = handler
        if !bytes.isEmpty { bytes.withUnsafeBytes { handler.receive($0) } }
    }
}
