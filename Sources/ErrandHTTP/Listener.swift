import Dispatch
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The listening socket and its accept loop, on a queue of its own.
///
/// When the process or system runs out of descriptors (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) accepting
/// pauses for ``exhaustionPause`` instead of spinning on a socket that stays readable, and the condition
/// is logged once per episode.
final class Listener: @unchecked Sendable {
    static let exhaustionPause = DispatchTimeInterval.milliseconds(100)
    /// Accepts per readiness event, so that a flood of connections cannot monopolise the queue.
    static let acceptBatch = 64

    let fd: Int32
    let port: Int
    private let logger: Logger
    private let queue = DispatchQueue(label: "errand.http.accept")
    private let source: any DispatchSourceRead
    private let adopt: @Sendable (Int32) -> Void
    // Only touched on `queue`.
    private var paused = false
    private var stopped = false
    private var exhausted = false

    init(fd: Int32, port: Int, logger: Logger, adopt: @escaping @Sendable (Int32) -> Void) {
        self.fd = fd
        self.port = port
        self.logger = logger
        self.adopt = adopt
        self.source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
    }

    func start() {
        source.setEventHandler { [unowned self] in acceptPending() }
        source.setCancelHandler { [fd] in Socket.close(fd) }
        source.resume()
    }

    /// Stops accepting and closes the listening socket; returns once no accept is in progress.
    func stop() {
        queue.sync {
            guard !stopped else { return }
            stopped = true
            if paused { source.resume() }
            source.cancel()
        }
    }

    private func acceptPending() {
        for _ in 0..<Self.acceptBatch {
            do {
                guard let connection = try Socket.accept(fd) else { break }
                exhausted = false
                adopt(connection)
            } catch {
                switch error.errno {
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    pauseAccepting(error)
                    return
                case ECONNABORTED, EPROTO, EPERM:
                    continue  // that one client is gone; keep accepting the others
                default:
                    logger.debug("accept failed", metadata: ["error": "\(error)"])
                    return
                }
            }
        }
    }

    private func pauseAccepting(_ error: SocketError) {
        if !exhausted {
            exhausted = true
            logger.notice("Out of file descriptors, pausing accept", metadata: ["error": "\(error)"])
        }
        paused = true
        source.suspend()
        queue.asyncAfter(deadline: .now() + Self.exhaustionPause) { [self] in
            guard paused, !stopped else { return }
            paused = false
            source.resume()
        }
    }
}
