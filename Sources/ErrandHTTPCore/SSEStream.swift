import Synchronization

/// A bounded, thread-safe queue of Server-Sent Events between one producer (the application) and one
/// consumer (the connection writing it to a client, or a test).
///
/// Slow-reader policy: the stream holds at most ``Limits/maxBufferedEvents`` unsent events. A producer that
/// would exceed it finds the stream closed (``send(_:)`` returns `false`, ``closeReason`` is
/// ``CloseReason/overflow``): the client is disconnected rather than the server buffering without bound or
/// silently skipping events. Clients resume with `Last-Event-ID` where the application supports replay.
public final class SSEStream: Sendable {
    public struct Limits: Sendable {
        /// Unsent events kept per subscriber before the stream is closed as too slow. Default 1,024.
        public var maxBufferedEvents: Int
        public init(maxBufferedEvents: Int = 1024) { self.maxBufferedEvents = maxBufferedEvents }
    }

    public enum CloseReason: Sendable, Equatable {
        /// The producer called ``finish()``.
        case finished
        /// The consumer went away (client disconnected, server shutting down).
        case cancelled
        /// The consumer fell more than ``Limits/maxBufferedEvents`` behind.
        case overflow
    }

    private struct State {
        var buffer: [SSEEvent] = []
        var closed: CloseReason?
        var onTermination: [@Sendable (CloseReason) -> Void] = []
        var wake: (@Sendable () -> Void)?
        var waiter: CheckedContinuation<Void, Never>?
    }

    public let limits: Limits
    private let state = Mutex(State())

    public init(limits: Limits = Limits()) { self.limits = limits }

    // MARK: producer

    /// Queues `event`. Returns `false` if the stream is closed (finished, cancelled or overflowed).
    @discardableResult
    public func send(_ event: SSEEvent) -> Bool {
        let (accepted, wake, waiter, handlers):
            (Bool, (@Sendable () -> Void)?, CheckedContinuation<Void, Never>?, [@Sendable (CloseReason) -> Void]) =
                state.withLock { state in
                    guard state.closed == nil else { return (false, nil, nil, []) }
                    if state.buffer.count >= limits.maxBufferedEvents {
                        state.closed = .overflow
                        state.buffer.removeAll()
                        let handlers = state.onTermination
                        state.onTermination = []
                        let waiter = state.waiter
                        state.waiter = nil
                        return (false, state.wake, waiter, handlers)
                    }
                    state.buffer.append(event)
                    let waiter = state.waiter
                    state.waiter = nil
                    return (true, state.wake, waiter, [])
                }
        for handler in handlers { handler(.overflow) }
        waiter?.resume()
        wake?()
        return accepted
    }

    /// Ends the stream after the events already queued have been delivered.
    public func finish() { close(.finished) }

    /// Called once when the stream closes for any reason; runs at once if it is already closed.
    public func onTermination(_ handler: @escaping @Sendable (CloseReason) -> Void) {
        let closed: CloseReason? = state.withLock { state in
            if state.closed == nil { state.onTermination.append(handler) }
            return state.closed
        }
        if let closed { handler(closed) }
    }

    public var closeReason: CloseReason? { state.withLock { $0.closed } }

    // MARK: consumer

    /// The consumer went away: drops what is queued and runs the termination handlers.
    public func cancel() { close(.cancelled) }

    /// Registers a callback run (on the producer's thread) whenever events arrive or the stream closes.
    public func setWakeHandler(_ wake: (@Sendable () -> Void)?) {
        let pending = state.withLock { state in
            state.wake = wake
            return !state.buffer.isEmpty || state.closed != nil
        }
        if pending { wake?() }
    }

    /// Takes every queued event. `finished` is true once the stream is closed and nothing more will come.
    public func drain() -> (events: [SSEEvent], finished: Bool) {
        state.withLock { state in
            let events = state.buffer
            state.buffer.removeAll(keepingCapacity: true)
            return (events, state.closed != nil)
        }
    }

    /// Waits for the next event; `nil` once the stream is closed and drained. For tests and in-process use.
    public func next() async -> SSEEvent? {
        while true {
            enum Step { case event(SSEEvent), done, wait }
            let step: Step = state.withLock { state in
                if !state.buffer.isEmpty { return .event(state.buffer.removeFirst()) }
                return state.closed != nil ? .done : .wait
            }
            switch step {
            case .event(let event): return event
            case .done: return nil
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if !state.buffer.isEmpty || state.closed != nil { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    private func close(_ reason: CloseReason) {
        let (handlers, wake, waiter):
            ([@Sendable (CloseReason) -> Void], (@Sendable () -> Void)?, CheckedContinuation<Void, Never>?) =
                state.withLock { state in
                    guard state.closed == nil else { return ([], nil, nil) }
                    state.closed = reason
                    if reason != .finished { state.buffer.removeAll() }
                    let handlers = state.onTermination
                    state.onTermination = []
                    let waiter = state.waiter
                    state.waiter = nil
                    return (handlers, state.wake, waiter)
                }
        for handler in handlers { handler(reason) }
        waiter?.resume()
        wake?()
    }
}
