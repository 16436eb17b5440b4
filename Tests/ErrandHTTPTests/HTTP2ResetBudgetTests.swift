import Testing

@testable import ErrandHTTP

/// The rapid-reset token bucket, on injected times.
struct HTTP2ResetBudgetTests {
    static let second: UInt64 = 1_000_000_000

    /// `spend` is mutating, which `#expect` cannot call directly.
    func spend(_ budget: inout HTTP2ResetBudget, _ now: UInt64) -> Bool { budget.spend(now: now) }

    @Test func allowsTheLimitThenRefuses() {
        var budget = HTTP2ResetBudget(limit: 3, window: .seconds(10), now: 0)
        #expect(spend(&budget, 0))
        #expect(spend(&budget, 1))
        #expect(spend(&budget, 2))
        #expect(!spend(&budget, 3))
    }

    @Test func refillsAtTheLimitPerWindow() {
        var budget = HTTP2ResetBudget(limit: 10, window: .seconds(10), now: 0)
        for _ in 0..<10 { #expect(spend(&budget, 0)) }
        #expect(!spend(&budget, Self.second / 2))
        #expect(spend(&budget, Self.second))  // one token per second
        #expect(!spend(&budget, Self.second))
        for tick in 0..<10 { #expect(spend(&budget, UInt64(tick + 2) * Self.second)) }  // a steady client
    }

    @Test func refillIsCappedAtTheLimit() {
        var budget = HTTP2ResetBudget(limit: 2, window: .seconds(1), now: 0)
        #expect(spend(&budget, 100 * Self.second))
        #expect(spend(&budget, 100 * Self.second))
        #expect(!spend(&budget, 100 * Self.second))
    }

    @Test func clockGoingBackwardsEarnsNothing() {
        var budget = HTTP2ResetBudget(limit: 1, window: .seconds(1), now: 10 * Self.second)
        #expect(spend(&budget, 10 * Self.second))
        #expect(!spend(&budget, 5 * Self.second))
    }
}
