import ErrandEngine
import Synchronization

/// Submissions per minute per owner (``TaskOwner/quotaKey``): a token bucket per key that holds one minute's
/// worth of submissions and refills continuously.
final class SubmissionRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedMs: Int64
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock: any EngineClock
    /// Buckets kept before full (idle) ones are forgotten.
    let pruneThreshold: Int

    init(clock: any EngineClock, pruneThreshold: Int = 10_000) {
        self.clock = clock
        self.pruneThreshold = pruneThreshold
    }

    /// Takes one submission from `key`'s bucket of `perMinute`. Returns `nil` when allowed, else the seconds
    /// until one is available again.
    func take(_ key: String, perMinute: Int) -> Int? {
        let capacity = Double(max(perMinute, 1))
        let perMs = capacity / 60_000
        let now = clock.nowMs()
        return buckets.withLock { buckets -> Int? in
            if buckets.count >= pruneThreshold { Self.prune(&buckets, now: now, perMs: perMs, capacity: capacity) }
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updatedMs: now)
            bucket.tokens = min(capacity, bucket.tokens + Double(max(0, now - bucket.updatedMs)) * perMs)
            bucket.updatedMs = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else {
                return max(1, Int(((1 - bucket.tokens) / perMs / 1000).rounded(.up)))
            }
            bucket.tokens -= 1
            return nil
        }
    }

    /// Forgets buckets that would be full by now (they behave exactly like new ones).
    private static func prune(_ buckets: inout [String: Bucket], now: Int64, perMs: Double, capacity: Double) {
        buckets = buckets.filter { _, bucket in
            bucket.tokens + Double(max(0, now - bucket.updatedMs)) * perMs < capacity
        }
    }
}

extension SubmissionRateLimiter {
    /// Takes one submission for `owner`, or throws the `.quotaExceeded` refusal naming the limit.
    static func check(_ limiter: SubmissionRateLimiter, owner: TaskOwner, limits: PrincipalLimits)
        throws(TaskEngineError)
    {
        guard let retryAfter = limiter.take(owner.quotaKey, perMinute: limits.submissionsPerMinute) else { return }
        throw TaskEngineError(
            .quotaExceeded(retryAfterSeconds: retryAfter),
            "Submission rate limit reached: at most \(limits.submissionsPerMinute) task submissions per minute"
                + " (submissionsPerMinute); try again in \(retryAfter) s")
    }
}
