import ErrandHTTP
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct SignalWatcherTests {
    @Test func returnsTheSignalThatArrived() async throws {
        // SIGUSR2 stands in for SIGTERM, which would end the test process were the watcher broken.
        async let received = SignalWatcher.waitForTermination(signals: [SIGUSR1, SIGUSR2])
        // Signals raised before the watcher's sources are installed would be ignored: keep raising
        // until the watcher has seen one.
        let raiser = Task {
            while !Task.isCancelled {
                kill(getpid(), SIGUSR2)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(await received == SIGUSR2)
        raiser.cancel()
    }
}
