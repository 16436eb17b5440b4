import ErrandHTTP
import Synchronization

/// Where a plain call stands: still able to answer with JSON, or upgraded to an event stream.
final class InlineCallChannel: Sendable {
    enum First: Sendable {
        case output(ToolOutput)
        case stream(SSEStream)
        case cancelled
    }

    private struct State {
        var stream: SSEStream?
        var first: First?
        var waiter: CheckedContinuation<First, Never>?
    }

    private let state = Mutex(State())

    /// The call's event stream, created (and chosen as the reply) the first time the tool asks for input.
    func upgrade() -> SSEStream {
        let (stream, waiter) = state.withLock { state -> (SSEStream, CheckedContinuation<First, Never>?) in
            if let stream = state.stream { return (stream, nil) }
            let stream = SSEStream()
            state.stream = stream
            return (stream, Self.decide(.stream(stream), in: &state))
        }
        waiter?.resume(returning: .stream(stream))
        return stream
    }

    /// The tool ended. Returns the stream still to finish, if the call was upgraded.
    func finish(_ output: ToolOutput, cancelled: Bool) -> SSEStream? {
        let first: First = cancelled ? .cancelled : .output(output)
        let (stream, waiter) = state.withLock { state in (state.stream, Self.decide(first, in: &state)) }
        waiter?.resume(returning: first)
        return stream
    }

    /// How the call answers: the first of its output and its first input request.
    func first() async -> First {
        await withCheckedContinuation { continuation in
            let decided = state.withLock { state -> First? in
                if let first = state.first { return first }
                state.waiter = continuation
                return nil
            }
            if let decided { continuation.resume(returning: decided) }
        }
    }

    /// Records `first` unless decided already; returns the waiter to resume with it.
    private static func decide(_ first: First, in state: inout State) -> CheckedContinuation<First, Never>? {
        guard state.first == nil else { return nil }
        state.first = first
        defer { state.waiter = nil }
        return state.waiter
    }
}
