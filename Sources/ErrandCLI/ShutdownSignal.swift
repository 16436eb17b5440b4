import Dispatch
import Glibc

/// Waits for SIGINT or SIGTERM without killing the process, so shutdown can be graceful.
enum ShutdownSignal {
    /// Returns the name of the first shutdown signal received.
    static func wait() async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            let queue = DispatchQueue(label: "errand.signals")
            let once = Once()
            var sources: [any DispatchSourceSignal] = []
            for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    if once.claim() { continuation.resume(returning: name) }
                }
                source.resume()
                sources.append(source)
            }
            Retainer.keep(sources)
        }
    }
}

/// Claims a one-time action exactly once, from whichever thread asks first.
private final class Once: @unchecked Sendable {
    private var claimed = false
    private let lock = DispatchQueue(label: "errand.once")
    func claim() -> Bool {
        lock.sync {
            defer { claimed = true }
            return !claimed
        }
    }
}

/// Keeps signal sources alive for the life of the process.
private enum Retainer {
    nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
    static func keep(_ more: [any DispatchSourceSignal]) { sources += more }
}
