import ArgumentParser
import Errand
import ErrandEngine
import ErrandHTTP
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// A one-way door between services that start in order: the engine opens it once it has recovered, and the HTTP
/// service waits at it before taking connections. Waiting ends with `CancellationError` if the waiter is cancelled.
final class StartGate: Sendable {
    private struct State {
        var open = false
        var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    var isOpen: Bool { state.withLock { $0.open } }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [:] }
            return state.waiters.values
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async throws {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = state.withLock { state in
                    if state.open { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }
}

/// Something to close when the group ends, whether it ended by a signal or because another service failed: the
/// task store (a SQLite file, a PostgreSQL pool). First in the group, so the last to stop.
struct ClosingService: Service, CustomStringConvertible {
    let description: String
    let close: @Sendable () async throws -> Void
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()  // a signal, or the group's shutdown after a failure
        do {
            try await close()
            logger.info("closed the \(description)")
        } catch {
            logger.error("could not close the \(description)", metadata: ["error": "\(error)"])
        }
    }
}

/// The application (or a worker's bare engine): recovers the store, then opens `started`; on shutdown cancels what
/// runs and stops the sweepers and pollers it owns.
struct EngineService: Service, CustomStringConvertible {
    let description: String
    let start: @Sendable () async throws -> Void
    let shutdown: @Sendable () async -> Void
    let started: StartGate

    func run() async throws {
        do {
            try await start()
        } catch {
            await shutdown()  // what started before the failure (sweepers, half a recovery) stops too
            throw error
        }
        started.open()
        try? await gracefulShutdown()
        await shutdown()
    }
}

/// The HTTP server: binds once the engine has started, announces itself through `listening`, and on shutdown stops
/// accepting, lets requests in flight finish for `gracePeriod`, then closes every connection.
struct HTTPService: Service, CustomStringConvertible {
    var description: String { "HTTP server" }
    let server: HTTPServer
    let gracePeriod: Duration
    let engineStarted: StartGate
    let listening: @Sendable (Int) -> Void

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await engineStarted.wait() }
        } catch is CancellationError {
            return  // the group stopped before the engine started: nothing was bound
        }
        let port = try server.start()
        listening(port)
        try? await gracefulShutdown()
        await server.shutdown(gracePeriod: gracePeriod)
    }
}

/// Says once that the engine has started (a worker's "ready" line), then waits for the shutdown.
struct AnnounceService: Service, CustomStringConvertible {
    var description: String { "readiness line" }
    let started: StartGate
    let announce: @Sendable () -> Void

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await started.wait() }
        } catch is CancellationError {
            return
        }
        announce()
        try? await gracefulShutdown()
    }
}

extension ServiceGroup {
    /// Runs the group until a signal stops it. If a service fails — everything that had started is stopped and the
    /// store closed by then — exits 69 with one line if `started` was not open yet (the command could not start),
    /// else 70.
    func runCommand(started: StartGate, logger: Logger) async throws {
        do {
            try await run()
        } catch {
            guard started.isOpen else { throw StartFailure.report("could not start", error) }
            logger.critical("stopped after a failure", metadata: ["error": "\(error)"])
            throw ExitCode(StartFailure.runtimeExitCode)
        }
        logger.info("stopped")
    }

    /// The services of one command, started in order; SIGTERM and SIGINT shut them down in reverse order, and a
    /// service that fails shuts the others down the same way before ``run()`` rethrows its error.
    static func errand(_ services: [any Service], logger: Logger) -> ServiceGroup {
        ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map {
                    .init(
                        service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
    }
}
