import Synchronization

/// Signals waiting to be handled, taken in batches: each ``take()`` returns every signal put since the last one,
/// in arrival order. A node that reads each changed task from the store thus reads a burst of changes (all that
/// arrived while it handled the previous batch) with one query instead of one round trip per signal.
///
/// Bounded: once ``limit`` signals wait, they are replaced by one ``ClusterSignal/resynchronize`` (the node
/// re-reads what it knows instead of handling each) and further signals are dropped and counted until the next
/// ``take()``. Nothing is lost silently: a resynchronisation covers every signal it replaced.
final class SignalInbox: Sendable {
    private struct State {
        var pending: [ClusterSignal] = []
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
        /// `pending` overflowed and holds only `.resynchronize` until taken.
        var overflowed = false
        var dropped = 0
    }

    /// Most signals kept before they collapse into one resynchronisation. Default 10,000.
    let limit: Int
    private let state = Mutex(State())

    init(limit: Int = 10_000) { self.limit = max(1, limit) }

    /// Signals replaced by a resynchronisation so far.
    var droppedSignals: Int { state.withLock { $0.dropped } }

    /// Adds a signal, waking a waiting ``take()``.
    func put(_ signal: ClusterSignal) {
        let waiter = state.withLock { state in
            if state.overflowed {
                state.dropped += 1
            } else if state.pending.count >= limit {
                state.dropped += state.pending.count + 1
                state.pending = [.resynchronize]
                state.overflowed = true
            } else {
                state.pending.append(signal)
            }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// No more signals come: ``take()`` returns what is left, then `nil`.
    func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Every signal put since the last call, waiting until there is one; `nil` once finished and empty, or when the
    /// calling task is cancelled (which finishes the inbox). One caller at a time.
    func take() async -> [ClusterSignal]? {
        while true {
            let taken: [ClusterSignal]? = state.withLock { state in
                defer {
                    state.pending = []
                    state.overflowed = false
                }
                return state.pending.isEmpty ? nil : state.pending
            }
            if let taken { return taken }
            if state.withLock({ $0.finished }) || Task.isCancelled { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let ready = state.withLock { state in
                        guard state.pending.isEmpty, !state.finished else { return true }
                        state.waiter = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                finish()
            }
        }
    }

    /// Calls `handle` with each batch of `signals` (every signal that arrived while it handled the previous batch)
    /// until the stream ends, the calling task is cancelled, or `handle` returns `false`.
    static func batches(
        of signals: AsyncStream<ClusterSignal>, limit: Int = 10_000, _ handle: @Sendable ([ClusterSignal]) async -> Bool
    ) async {
        let inbox = SignalInbox(limit: limit)
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await signal in signals { inbox.put(signal) }
                inbox.finish()
            }
            while let batch = await inbox.take() {
                guard await handle(batch) else { break }
            }
            group.cancelAll()
        }
    }
}

extension ClusterSignal {
    /// Signals a subscriber's stream buffers (``makeBoundedStream()``) before it drops the oldest. Default 10,000.
    public static let streamBufferLimit = 10_000

    /// A signal stream for one subscriber, bounded to ``streamBufferLimit``; feed it with
    /// `yieldOrResynchronize(_:)`, so that a dropped signal is always followed by ``resynchronize``.
    public static func makeBoundedStream(limit: Int = streamBufferLimit)
        -> (stream: AsyncStream<ClusterSignal>, continuation: AsyncStream<ClusterSignal>.Continuation)
    {
        AsyncStream.makeStream(of: ClusterSignal.self, bufferingPolicy: .bufferingNewest(max(2, limit)))
    }
}

extension AsyncStream<ClusterSignal>.Continuation {
    /// Yields `signal`; if the full buffer dropped an older signal for it, yields ``ClusterSignal/resynchronize``
    /// after it, so the subscriber re-reads what it may have missed instead of losing it silently.
    public func yieldOrResynchronize(_ signal: ClusterSignal) {
        if case .dropped = yield(signal), signal != .resynchronize { yield(.resynchronize) }
    }
}
