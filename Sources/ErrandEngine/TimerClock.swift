/// An engine's time for everything it measures as a duration (policy timeouts, retry backoffs, waiter timeouts,
/// store retries, log store delays, the reaper; on a cluster node also the claim poll, lease renewal and takeover,
/// waiter re-checks and the statistics cache), as opposed to the wall time of ``EngineClock``.
///
/// It reads any `Clock<Duration>` — `ContinuousClock` in production, a clock the test moves by hand in tests — as
/// the time passed since the engine was made, so ``EngineTimer`` keeps its deadlines as plain durations without
/// knowing the clock's instant type. `ContinuousClock` is read directly, without a dynamic call.
struct TimerClock: Sendable {
    private enum Source: Sendable {
        case continuous(origin: ContinuousClock.Instant)
        case other(any ElapsedTime)
    }

    private let source: Source

    init(_ clock: any Clock<Duration>) {
        if clock is ContinuousClock {
            source = .continuous(origin: .now)
        } else {
            source = .other(Self.elapsedTime(of: clock))
        }
    }

    private static func elapsedTime<C: Clock<Duration>>(of clock: C) -> any ElapsedTime {
        ClockElapsedTime(clock: clock, origin: clock.now)
    }

    /// The time passed since this clock was made.
    var now: Duration {
        switch source {
        case .continuous(let origin): origin.duration(to: .now)
        case .other(let time): time.elapsed
        }
    }

    /// Suspends until ``now`` reaches `deadline`. Throws `CancellationError` if the task is cancelled first.
    func sleep(until deadline: Duration) async throws {
        switch source {
        case .continuous(let origin): try await Task.sleep(until: origin.advanced(by: deadline), clock: .continuous)
        case .other(let time): try await time.sleep(until: deadline)
        }
    }

    /// Suspends for `duration`. Throws `CancellationError` if the task is cancelled first.
    func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }
}

/// A clock read as the time passed since an origin.
private protocol ElapsedTime: Sendable {
    var elapsed: Duration { get }
    func sleep(until deadline: Duration) async throws
}

private struct ClockElapsedTime<C: Clock<Duration>>: ElapsedTime {
    let clock: C
    let origin: C.Instant

    var elapsed: Duration { origin.duration(to: clock.now) }

    func sleep(until deadline: Duration) async throws {
        try await clock.sleep(until: origin.advanced(by: deadline), tolerance: nil)
    }
}
