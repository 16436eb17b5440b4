import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns termination signals into something a server's `main` can await.
///
/// Create it before announcing readiness: from `init` on, the signals no longer kill the process (their
/// default action is replaced with `SIG_IGN` for the life of the process) and Dispatch signal sources record
/// them, so a signal that arrives before ``wait()`` is called is not lost.
public final class SignalWatcher: @unchecked Sendable {
    /// `SIGINT` and `SIGTERM`.
    public static let terminationSignals: [Int32] = [SIGINT, SIGTERM]

    private struct State {
        var received: Int32?
        var waiter: CheckedContinuation<Int32, Never>?
    }

    /// Shared with the signal handlers, which must not retain the watcher.
    private final class Inbox: Sendable {
        let state = Mutex(State())
    }

    private let inbox = Inbox()
    /// Owned for the watcher's life; only touched in `init` and `deinit`.
    private let sources: [any DispatchSourceSignal]

    /// Starts watching `signals` (default ``terminationSignals``) at once.
    public init(signals: [Int32] = terminationSignals) {
        let queue = DispatchQueue(label: "errand.signals")
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in signals {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            sources.append(source)
        }
        self.sources = sources
        for (source, signalNumber) in zip(sources, signals) {
            source.setEventHandler { [inbox] in
                let waiter = inbox.state.withLock { state -> CheckedContinuation<Int32, Never>? in
                    if state.received == nil { state.received = signalNumber }
                    let waiter = state.waiter
                    state.waiter = nil
                    return waiter
                }
                waiter?.resume(returning: signalNumber)
            }
            source.resume()
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }

    /// Returns the first watched signal received, waiting for one if none has arrived yet.
    public func wait() async -> Int32 {
        await withCheckedContinuation { (waiting: CheckedContinuation<Int32, Never>) in
            let received = inbox.state.withLock { state -> Int32? in
                if let received = state.received { return received }
                state.waiter = waiting
                return nil
            }
            if let received { waiting.resume(returning: received) }
        }
    }

    /// Installs a watcher and waits for the first of `signals`.
    public static func waitForTermination(signals: [Int32] = terminationSignals) async -> Int32 {
        await SignalWatcher(signals: signals).wait()
    }
}
