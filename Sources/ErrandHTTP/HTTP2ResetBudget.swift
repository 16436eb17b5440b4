/// The rapid-reset defence (CVE-2023-44487): a token bucket of client `RST_STREAM`s.
///
/// The bucket holds `limit` tokens and refills at `limit` per `window`; each reset takes one. A client that
/// finds it empty has reset more than `limit` streams in about one window and is disconnected with
/// `GOAWAY ENHANCE_YOUR_CALM`. Pure; times are monotonic nanoseconds from the caller's clock.
struct HTTP2ResetBudget {
    let limit: Int
    let window: UInt64
    private var tokens: Double
    private var refilledAt: UInt64

    init(limit: Int, window: Duration, now: UInt64) {
        self.limit = max(1, limit)
        self.window = max(1, window.nanoseconds)
        self.tokens = Double(self.limit)
        self.refilledAt = now
    }

    /// Takes one token for a reset at `now`; `false` when none is left (the client is over the limit).
    mutating func spend(now: UInt64) -> Bool {
        if now > refilledAt {
            let earned = Double(now - refilledAt) * Double(limit) / Double(window)
            tokens = min(Double(limit), tokens + earned)
            refilledAt = now
        }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
