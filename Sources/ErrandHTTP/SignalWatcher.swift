import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns termination signals into something a server's `main` can await.
public enum SignalWatcher {
    /// `SIGINT` and `SIGTERM`.
    public static let terminationSignals: [Int32] = [SIGINT, SIGTERM]

    /// Waits until one of `signals` arrives and returns it.
    ///
    /// The signals' default action is replaced (`SIG_IGN`) for the life of the process, so a second Ctrl-C
    /// during shutdown does not kill the process either; Dispatch signal sources observe them instead.
    /// - Parameter signals: default ``terminationSignals``.
    public static func waitForTermination(signals: [Int32] = terminationSignals) async -> Int32 {
        let queue = DispatchQueue(label: "errand.signals")
        let sources = signals.map { signalNumber -> any DispatchSourceSignal in
            signal(signalNumber, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
        }
        let continuation = Mutex<CheckedContinuation<Int32, Never>?>(nil)
        let received = await withCheckedContinuation { (waiting: CheckedContinuation<Int32, Never>) in
            continuation.withLock { $0 = waiting }
            for (source, signalNumber) in zip(sources, signals) {
                source.setEventHandler {
                    continuation.withLock { $0.take() }?.resume(returning: signalNumber)
                }
                source.resume()
            }
        }
        for source in sources { source.cancel() }
        return received
    }
}
