import ErrandEngine
import ErrandHTTP
import ErrandProtocol

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
