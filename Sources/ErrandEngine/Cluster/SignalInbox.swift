import Synchronization

/// Signals waiting to be handled, taken in batches: each ``take()`` returns every signal put since the last one,
/// in arrival order. A node that reads each changed task from the store thus reads a burst of changes (all that
/// arrived while it handled the previous batch) with one query instead of one round trip per signal.
final class SignalInbox: Sendable {
    private struct State {
        var pending: [ClusterSignal] = []
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
    }

    private let state = Mutex(State())

    /// Adds a signal, waking a waiting ``take()``.
    func put(_ signal: ClusterSignal) {
        let waiter = state.withLock { state in
            state.pending.append(signal)
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
                defer { state.pending = [] }
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
        of signals: AsyncStream<ClusterSignal>, _ handle: @Sendable ([ClusterSignal]) async -> Bool
    ) async {
        let inbox = SignalInbox()
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
