import Testing

@testable import ErrandHTTP

/// The loop's wait before its next tick.
struct EventLoopTimeoutTests {
    @Test func aDeadlineThatPassedMeansNoWaitInsteadOfAnOverflow() {
        #expect(EventLoop.waitMilliseconds(until: 1_000, now: 2_000) == 0)
        #expect(EventLoop.waitMilliseconds(until: 5_000_000, now: 5_000_000) == 0)
        #expect(EventLoop.waitMilliseconds(until: 0, now: .max) == 0)
    }

    @Test func aFutureDeadlineIsRoundedUpToWholeMilliseconds() {
        #expect(EventLoop.waitMilliseconds(until: 1, now: 0) == 1)
        #expect(EventLoop.waitMilliseconds(until: 10_000_000, now: 0) == 11)
        #expect(EventLoop.waitMilliseconds(until: .max, now: 0) == .max)
    }
}
