import ErrandEngine
import ErrandHTTP
import ErrandProtocol

/// The HTTP side of MCP 2026-07-28 on `/mcp`: no session, headers checked against the body, and JSON-RPC
/// errors with the HTTP status the spec names (404 for an unknown method, 400 for the rest of the request's
/// faults, 500 for the server's), always as `application/json`.
extension StreamableHTTPEndpoint {
    func postModern(_ message: JSONRPCMessage, request: HTTPRequest, caller: Caller, acceptsStream: Bool)
        -> HTTPReply
    {
        guard case .request(let id, let method, let params) = message else {
            // This revision defines no client notifications over HTTP; accept and ignore any.
            return .immediate(HTTPResponse(status: 202))
        }
        let parsed: ModernMCPRequest
        do {
            parsed = try ModernMCPRequest(id: id, method: method, params: params, headers: request.headers)
        } catch {
            return .immediate(Self.modernError(id, error))
        }
        if method == "subscriptions/listen", !acceptsStream {
            return .immediate(
                Self.modernError(
                    id, .invalidRequest("subscriptions/listen answers with an event stream: Accept text/event-stream")))
        }
        let modern = server.modern
        return .deferred {
            switch await modern.reply(to: parsed, caller: caller) {
            case .result(let id, let result): return Self.json(.result(id: id, result: result))
            case .error(let id, let error): return Self.modernError(id, error)
            case .stream(let stream): return .eventStream(stream)
            }
        }
    }

    /// A JSON-RPC error response with the HTTP status of its code.
    static func modernError(_ id: JSONRPCID?, _ error: JSONRPCError) -> HTTPResponse {
        let status: Int
        switch error.code {
        case JSONRPCError.methodNotFoundCode: status = 404
        case JSONRPCError.internalErrorCode: status = 500
        case ErrandErrorCode.quotaExceeded: status = 429
        default: status = 400
        }
        return HTTPResponse(
            status: status, contentType: "application/json", body: JSONRPCMessage.error(id: id, error: error).bytes)
    }
}
