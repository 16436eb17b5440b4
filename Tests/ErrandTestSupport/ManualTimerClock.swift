import Synchronization

/// A `Clock` that moves only when the test moves it, for an engine's `timerClock`: timeouts, backoffs and retries
/// fire when the test says so, never because a machine was slow or fast.
///
/// ``advance(by:)`` resumes every sleeper whose deadline has come before it returns (in deadline order); it does
/// not wait for what they do next. ``sleeping(dueWithin:)`` waits until something sleeps on a deadline that
/// close, so a test moves the clock only once the engine has actually set the delay it means to end.
public final class ManualTimerClock: Clock, Sendable {
    public struct Instant: InstantProtocol, Hashable {
        /// Time since the clock was made.
        public var offset: Duration

        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0
        /// Tests waiting in ``sleeping(dueWithin:)``, by id: the distance they wait for.
        var watchers: [UInt64: (within: Duration, continuation: CheckedContinuation<Void, Never>)] = [:]

        func hasSleeper(dueWithin limit: Duration) -> Bool {
            sleepers.values.contains { now.duration(to: $0.deadline) <= limit }
        }

        /// Removes and returns the watchers whose condition now holds.
        mutating func satisfiedWatchers() -> [CheckedContinuation<Void, Never>] {
            let ready = watchers.filter { hasSleeper(dueWithin: $0.value.within) }
            for id in ready.keys { watchers[id] = nil }
            return ready.values.map(\.continuation)
        }
    }

    private let state = Mutex(State())

    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .zero }

    /// How many callers sleep on this clock right now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// The time until each sleeper's deadline, soonest first.
    public var pendingDelays: [Duration] {
        state.withLock { state in state.sleepers.values.map { state.now.duration(to: $0.deadline) }.sorted() }
    }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Start { case due, cancelled, sleeping([CheckedContinuation<Void, Never>]) }
                let start = state.withLock { state -> Start in
                    if Task.isCancelled { return .cancelled }
                    if deadline <= state.now { return .due }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return .sleeping(state.satisfiedWatchers())
                }
                switch start {
                case .due: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .sleeping(let watchers): for watcher in watchers { watcher.resume() }
                }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward and wakes every sleeper whose deadline has come, soonest first.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "a clock does not go back")
        let (due, watchers) = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }
                .sorted { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) }
            for (id, _) in due { state.sleepers[id] = nil }
            return (due.map(\.value.continuation), state.satisfiedWatchers())
        }
        for sleeper in due { sleeper.resume() }
        for watcher in watchers { watcher.resume() }
    }

    /// Waits until something sleeps on this clock with a deadline at most `limit` from now: the delay the test
    /// means to end has been set. (An engine's timer always sleeps, an hour ahead when it has nothing to do.)
    /// - Throws: `CancellationError` if the task is cancelled first (a test's time limit), so a test waiting for a
    ///   delay that is never set stops there instead of hanging.
    public func sleeping(dueWithin limit: Duration) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    if state.hasSleeper(dueWithin: limit) || Task.isCancelled { return true }
                    state.watchers[id] = (limit, continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.watchers.removeValue(forKey: id) }?.continuation.resume()
        }
        if !state.withLock({ $0.hasSleeper(dueWithin: limit) }) { try Task.checkCancellation() }
    }
}
