import ErrandProtocol
import Synchronization

/// Server-to-client requests of plain calls waiting for the client's answer, by request id.
final class InlineInputRequests: Sendable {
    private struct Waiter {
        var session: String
        var continuation: CheckedContinuation<Result<JSONValue, JSONRPCError>, any Error>
    }

    private let waiting = Mutex<[JSONRPCID: Waiter]>([:])

    /// Registers `id`, runs `send`, and waits for ``answer(_:outcome:from:)``; throws `CancellationError` when
    /// the waiting task is cancelled (the client cancelled the call or its session ended).
    func wait(for id: JSONRPCID, session: String, send: () -> Void) async throws -> Result<JSONValue, JSONRPCError> {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiting.withLock { $0[id] = Waiter(session: session, continuation: continuation) }
                if Task.isCancelled { cancel(id) } else { send() }
            }
        } onCancel: {
            cancel(id)
        }
    }

    /// Hands the answer to the waiting call, if `id` is one and `session` was asked; `false` otherwise.
    func answer(_ id: JSONRPCID, outcome: Result<JSONValue, JSONRPCError>, from session: String) -> Bool {
        let waiter = waiting.withLock { waiting -> Waiter? in
            guard waiting[id]?.session == session else { return nil }
            return waiting.removeValue(forKey: id)
        }
        waiter?.continuation.resume(returning: outcome)
        return waiter != nil
    }

    /// Requests still waiting (for tests).
    var count: Int { waiting.withLock { $0.count } }

    private func cancel(_ id: JSONRPCID) {
        waiting.withLock { $0.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
    }
}
