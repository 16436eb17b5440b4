import Errand
import Synchronization
import Testing

/// The applications (and engines) one test started, shut down when the test ends — passed, failed or thrown.
///
/// A harness that starts an ``ErrandApplication`` registers it here; the ``ShutsDownApplications`` trait, which
/// every suite that starts applications carries, gives each test its own list and empties it afterwards. A harness
/// started outside such a suite records an issue, so a forgotten trait fails the test instead of leaking a server.
final class StartedApplications: Sendable {
    @TaskLocal static var current: StartedApplications?

    /// How long one shutdown may take before the test is failed for it (a tool that ignores cancellation).
    static let shutdownDeadline: Duration = .seconds(10)

    private let shutdowns = Mutex<[@Sendable () async -> Void]>([])

    static func register(_ application: ErrandApplication) {
        register { await application.shutdown() }
    }

    static func register(_ shutdown: @escaping @Sendable () async -> Void) {
        guard let current else {
            Issue.record("started an application outside a suite marked .shutsDownApplications: nothing would stop it")
            return
        }
        current.shutdowns.withLock { $0.append(shutdown) }
    }

    /// Shuts down everything registered, newest first.
    func shutDownAll() async {
        let registered = shutdowns.withLock { list in
            defer { list = [] }
            return list
        }
        for shutdown in registered.reversed() where !(await Self.finishes(shutdown, within: Self.shutdownDeadline)) {
            Issue.record("an application did not shut down within \(Self.shutdownDeadline)")
        }
    }

    /// Runs `work` and reports whether it ended within `deadline`; one that does not is left running.
    private static func finishes(_ work: @escaping @Sendable () async -> Void, within deadline: Duration) async -> Bool
    {
        let outcome = FirstOutcome()
        return await withCheckedContinuation { continuation in
            outcome.wait(continuation)
            Task {
                await work()
                outcome.resolve(true)
            }
            Task {
                try? await Task.sleep(for: deadline)
                outcome.resolve(false)
            }
        }
    }
}

/// Resumes one continuation with whichever outcome comes first.
private final class FirstOutcome: Sendable {
    private let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)

    func wait(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation.withLock { $0 = continuation } }
    func resolve(_ value: Bool) { continuation.withLock { $0.take() }?.resume(returning: value) }
}

/// Gives each test of a suite its own ``StartedApplications`` and shuts them down after it.
struct ShutsDownApplications: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard testCase != nil else { return try await function() }  // the suite itself: each test gets a scope
        let started = StartedApplications()
        do {
            try await StartedApplications.$current.withValue(started) { try await function() }
        } catch {
            await started.shutDownAll()
            throw error
        }
        await started.shutDownAll()
    }
}

extension Trait where Self == ShutsDownApplications {
    /// Shut down every application a test of this suite starts, when the test ends.
    static var shutsDownApplications: Self { Self() }
}
