import Errand
import ErrandProtocol
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the cancellation handler and the run share: the process group once known, when cancel came, and an
/// input request in flight (cancelled with the call).
final class RunWatch: Sendable {
    private struct State {
        var leader: pid_t?
        var cancelledAt: ContinuousClock.Instant?
        var inputRequest: Task<JSONValue, any Error>?
    }
    private let state = Mutex(State())

    func started(_ pid: pid_t) { state.withLock { $0.leader = pid } }

    func noteCancelled() {
        let request = state.withLock { state in
            state.cancelledAt = state.cancelledAt ?? .now
            return state.inputRequest
        }
        request?.cancel()
    }

    /// Asks the client for input in a task that cancelling the call cancels.
    func requestInput(_ request: JSONValue, context: ToolContext) async throws -> JSONValue {
        let task = Task { try await context.requestInput(request) }
        let cancelled = state.withLock { state in
            state.inputRequest = task
            return state.cancelledAt != nil
        }
        if cancelled { task.cancel() }
        defer { state.withLock { $0.inputRequest = nil } }
        return try await task.value
    }

    var group: ProcessGroup? { state.withLock { $0.leader.map(ProcessGroup.init(id:)) } }
    var cancelledAt: ContinuousClock.Instant? { state.withLock { $0.cancelledAt } }
}
