import Logging

/// Timeouts, keep-alive comments, shutdown and close: the parts of ``HTTP1ConnectionHandler`` driven by
/// the clock and the server rather than by bytes.
extension HTTP1ConnectionHandler {
    var nextDeadline: UInt64? {
        guard !closed, !closing else { return nil }
        var deadline = eventStream?.nextKeepAlive ?? UInt64.max
        if readingEnabled, !stopParsing {
            switch parser.phase {
            case .head:
                if let headStartedAt {
                    deadline = min(deadline, headStartedAt &+ configuration.headerReadTimeout.nanoseconds)
                }
            case .body:
                deadline = min(deadline, lastReadAt &+ configuration.bodyReadTimeout.nanoseconds)
            case .idle:
                if slots.isEmpty, eventStream == nil {
                    deadline = min(deadline, idleSince &+ configuration.idleTimeout.nanoseconds)
                }
            case .stopped:
                break
            }
        }
        return deadline == UInt64.max ? nil : deadline
    }

    func timerFired() {
        guard !closed, !closing else { return }
        let now = clock()
        if let eventStream, now >= eventStream.nextKeepAlive {
            sendKeepAlive(eventStream, now: now)
        }
        if readingEnabled, !stopParsing {
            switch parser.phase {
            case .head:
                if let headStartedAt, now >= headStartedAt &+ configuration.headerReadTimeout.nanoseconds {
                    fail(.headerTimeout)
                }
            case .body:
                if now >= lastReadAt &+ configuration.bodyReadTimeout.nanoseconds { fail(.bodyTimeout) }
            case .idle:
                if slots.isEmpty, eventStream == nil, now >= idleSince &+ configuration.idleTimeout.nanoseconds {
                    logger.trace("Closing idle connection", metadata: ["peer": "\(output.remoteAddress)"])
                    closeConnection()
                }
            case .stopped:
                break
            }
        }
        output.flush()
    }

    func beginGracefulShutdown() {
        guard !closed, !shuttingDown else { return }
        shuttingDown = true
        stopParsing = true
        if let eventStream {
            eventStream.stream.cancel()
        } else {
            closeIfDone()
        }
    }

    func connectionClosed() {
        guard !closed else { return }
        closed = true
        closing = true
        if let eventStream {
            self.eventStream = nil
            eventStream.stream.setWakeHandler(nil)
            eventStream.stream.cancel()
        }
        for slot in slots { slot.task?.cancel() }
        slots.removeAll()
    }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to `UInt64`.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? UInt64.max : whole &+ UInt64(attoseconds / 1_000_000_000)
    }
}
