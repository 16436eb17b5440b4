import ErrandEngine
public import ErrandHTTP
import ErrandProtocol

/// The MCP Streamable HTTP transport (2025-11-25) at one path: POST carries client messages, GET opens the
/// session's event stream, DELETE ends the session. Transport-level problems get 4xx; JSON-RPC errors of
/// well-formed requests travel with HTTP 200, as the Python clients require.
public struct StreamableHTTPEndpoint: HTTPResponder {
    public let server: MCPServer
    /// Slow-subscriber policy of every event stream this endpoint opens.
    public var streamLimits: SSEStream.Limits

    public init(server: MCPServer, streamLimits: SSEStream.Limits = .init()) {
        self.server = server
        self.streamLimits = streamLimits
    }

    /// Answers `request` from an anonymous caller (no authentication, standard limits).
    public func reply(to request: HTTPRequest) -> HTTPReply {
        reply(to: request, caller: .anonymous(client: Caller.clientName(request.remoteAddress), limits: .standard))
    }

    /// Answers `request` from `caller`: sessions are bound to the principal that created them.
    public func reply(to request: HTTPRequest, caller: Caller) -> HTTPReply {
        switch request.method {
        case "POST": return post(request, caller: caller)
        case "GET": return .immediate(openEventStream(request, caller: caller))
        case "DELETE": return .immediate(deleteSession(request, caller: caller))
        default:
            return .immediate(
                Self.transportError(
                    405, .invalidRequest("Method \(request.method) not allowed on the MCP endpoint"),
                    headers: ["Allow": "GET, POST, DELETE"]))
        }
    }

    static let sessionHeader = "Mcp-Session-Id"
    static let versionHeader = "MCP-Protocol-Version"

    // MARK: POST

    private func post(_ request: HTTPRequest, caller: Caller) -> HTTPReply {
        let accept = request.headers["Accept"]
        let acceptsJSON = accept.map { Self.accepts($0, "application/json") } ?? true
        let acceptsStream = accept.map { Self.accepts($0, "text/event-stream") } ?? false
        guard acceptsJSON || acceptsStream else {
            return .immediate(
                Self.transportError(406, .invalidRequest("Accept must include application/json and text/event-stream")))
        }
        guard let contentType = request.headers["Content-Type"], Self.isJSON(contentType) else {
            return .immediate(Self.transportError(415, .invalidRequest("Content-Type must be application/json")))
        }
        let message: JSONRPCMessage
        do {
            // The caller's token never travels further than this request, even if the client echoes it.
            message = try JSONRPCMessage(bytes: request.body).scrubbing(caller.token)
        } catch {
            return .immediate(Self.transportError(400, error))
        }
        if MCPEra.of(message, headers: request.headers) == .modern {
            return postModern(message, request: request, caller: caller, acceptsStream: acceptsStream)
        }
        if case .request(let id, "initialize", let params) = message {
            let principal = TaskOwner(principal: caller.principal?.name, team: caller.principal?.team)
            let (response, session) = server.initialize(id: id, params: params, principal: principal)
            var headers: HTTPHeaders = [:]
            if let session { headers.set(Self.sessionHeader, session.id) }
            return .immediate(Self.json(response, headers: headers))
        }
        let session: MCPSession
        switch resolveSession(request, caller: caller) {
        case .success(let found): session = found
        case .failure(let refusal): return .immediate(refusal.response)
        }
        switch message {
        case .notification(let method, let params):
            server.receive(notification: method, params: params, session: session)
            return .immediate(HTTPResponse(status: 202))
        case .result(let id, let result):
            return .deferred {
                await server.receive(response: id, outcome: .success(result), session: session)
                return HTTPResponse(status: 202)
            }
        case .error(let id, let error):
            guard let id else { return .immediate(HTTPResponse(status: 202)) }
            return .deferred {
                await server.receive(response: id, outcome: .failure(error), session: session)
                return HTTPResponse(status: 202)
            }
        case .request(let id, let method, let params):
            if let quick = server.immediateReply(id: id, method: method, params: params, session: session) {
                return .immediate(Self.json(quick))
            }
            let headers: HTTPHeaders = [Self.sessionHeader: session.id]
            return .deferred {
                switch await server.reply(
                    id: id, method: method, params: params, session: session, caller: caller,
                    acceptsEventStream: acceptsStream)
                {
                case .message(let response): return Self.json(response)
                case .stream(let stream): return .eventStream(stream, headers: headers)
                case .none:
                    // Cancelled by the client: no JSON-RPC response, but still a 200 event stream (one that ends
                    // at once), the answer shape clients expect for a request.
                    let ended = SSEStream()
                    ended.finish()
                    return .eventStream(ended, headers: headers)
                }
            }
        }
    }

    // MARK: GET and DELETE

    private func openEventStream(_ request: HTTPRequest, caller: Caller) -> HTTPResponse {
        guard let accept = request.headers["Accept"], Self.accepts(accept, "text/event-stream") else {
            return Self.transportError(406, .invalidRequest("GET needs Accept: text/event-stream"))
        }
        let session: MCPSession
        switch resolveSession(request, caller: caller) {
        case .success(let found): session = found
        case .failure(let refusal): return refusal.response
        }
        let stream = SSEStream(limits: streamLimits)
        guard server.openEventStream(stream, for: session) else {
            return Self.transportError(
                404, .invalidRequest("Session not found: it ended or expired; initialize a new one"))
        }
        return .eventStream(stream, headers: [Self.sessionHeader: session.id])
    }

    private func deleteSession(_ request: HTTPRequest, caller: Caller) -> HTTPResponse {
        switch resolveSession(request, caller: caller) {
        case .success(let session):
            _ = server.endSession(session.id)
            return HTTPResponse(status: 200)
        case .failure(let refusal):
            return refusal.response
        }
    }

    // MARK: helpers

    struct Refusal: Error {
        var response: HTTPResponse
    }

    /// Finds the request's session and checks its protocol-version header. A session of another principal
    /// (or of one when the caller has none) is answered exactly like an unknown one (§4.7).
    private func resolveSession(_ request: HTTPRequest, caller: Caller) -> Result<MCPSession, Refusal> {
        guard let id = request.headers[Self.sessionHeader] else {
            return .failure(
                Refusal(
                    response: Self.transportError(
                        400, .invalidRequest("Missing Mcp-Session-Id header: send initialize first"))))
        }
        guard let session = server.session(id, principal: caller.principal?.name) else {
            return .failure(
                Refusal(
                    response: Self.transportError(
                        404, .invalidRequest("Session not found: it ended or expired; initialize a new one"))))
        }
        if let version = request.headers[Self.versionHeader],
            !server.configuration.supportedVersions.contains(version)
        {
            let supported = server.configuration.supportedVersions.joined(separator: ", ")
            return .failure(
                Refusal(
                    response: Self.transportError(
                        400, .invalidRequest("Unsupported MCP-Protocol-Version '\(version)'; supported: \(supported)")))
            )
        }
        return .success(session)
    }

    static func json(_ message: JSONRPCMessage, headers: HTTPHeaders = [:]) -> HTTPResponse {
        HTTPResponse(status: 200, contentType: "application/json", body: message.bytes, headers: headers)
    }

    /// A transport-level rejection: an HTTP status with a JSON-RPC error body that has no id.
    static func transportError(_ status: Int, _ error: JSONRPCError, headers: HTTPHeaders = [:]) -> HTTPResponse {
        HTTPResponse(
            status: status, contentType: "application/json", body: JSONRPCMessage.error(id: nil, error: error).bytes,
            headers: headers)
    }

    /// Whether an Accept header admits `type` (exactly, via `type/*`, or `*/*`).
    static func accepts(_ accept: String, _ type: String) -> Bool {
        let family = type.prefix { $0 != "/" } + "/*"
        for range in accept.split(separator: ",") {
            let media = range.split(separator: ";")[0].trimmingWhitespace().lowercased()
            if media == type || media == family || media == "*/*" { return true }
        }
        return false
    }

    static func isJSON(_ contentType: String) -> Bool {
        contentType.split(separator: ";")[0].trimmingWhitespace().lowercased() == "application/json"
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
