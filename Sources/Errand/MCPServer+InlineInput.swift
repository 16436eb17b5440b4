import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Synchronization

/// Input for plain (non-task) 2025-11-25 `tools/call`s: a tool that asks sends `elicitation/create` on that
/// call's own SSE stream, as the spec allows for requests related to the call, and continues with the answer
/// the client POSTs back. The call answers with plain JSON until (unless) its tool asks.
extension MCPServer {
    /// Runs a plain call for a client that declared elicitation and accepts an event stream: the reply is the
    /// JSON result if the tool never asks, else an event stream carrying the request(s) and then the result.
    func callToolAskingInput(id: JSONRPCID, tool: Tool, arguments: JSONValue, session: MCPSession) async -> Reply {
        let channel = InlineCallChannel()
        let context = ToolContext(
            logger: logger, progress: { _ in },
            input: { request in try await self.askInline(request, on: channel.upgrade(), session: session) })
        let handle = RequestHandle()
        session.register(id) { handle.cancel() }
        handle.attach(
            Task {
                let output = await self.runner.callTool(tool, arguments: arguments, context: context)
                session.unregister(id)
                guard let stream = channel.finish(output, cancelled: Task.isCancelled) else { return }
                if !Task.isCancelled { stream.send(MCPSession.event(.result(id: id, result: output.callToolResult))) }
                stream.finish()
            })
        switch await channel.first() {
        case .output(let output): return .message(.result(id: id, result: output.callToolResult))
        case .stream(let stream): return .stream(stream)
        case .cancelled: return .none
        }
    }

    /// Sends `request` as `elicitation/create` on `stream` and waits for the session's answer: the client's
    /// result, or `{"error": …}` when it answered with an error (the shape task input gets too).
    func askInline(_ request: JSONValue, on stream: SSEStream, session: MCPSession) async throws -> JSONValue {
        let rpcID = JSONRPCID.string("errand-inline-\(SecureRandom.hex())")
        let outcome = try await inlineInputs.wait(for: rpcID, session: session.id) {
            stream.send(MCPSession.event(.request(id: rpcID, method: "elicitation/create", params: request)))
        }
        switch outcome {
        case .success(let result): return result
        case .failure(let error): return ["error": error.json]
        }
    }
}

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
