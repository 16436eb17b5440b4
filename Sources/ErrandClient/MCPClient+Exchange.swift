import ErrandProtocol
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Sending JSON-RPC over Streamable HTTP: headers by era, JSON or SSE answers, server requests on the way.
extension MCPClient {
    static let modernVersion = "2026-07-28"
    static let legacyVersion = "2025-11-25"

    /// A request to the endpoint with the headers every exchange carries.
    func baseRequest(timeout: Duration? = nil) -> URLRequest {
        var request = URLRequest(url: configuration.url)
        request.timeoutInterval = HTTPStreamingTransport.timeoutInterval(timeout ?? configuration.limits.requestTimeout)
        if let token = configuration.bearerToken {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        request.setValue("application/json, text/event-stream", forHTTPHeaderField: "Accept")
        return request
    }

    /// Sends one request and returns its result (connecting first).
    /// - Parameters:
    ///   - mcpName: the `Mcp-Name` header of 2026-07-28 (tool name, task id).
    ///   - declaresTasks: whether a 2026-07-28 request declares the tasks extension (a plain `tools/call` does not,
    ///     so the server answers it inline).
    func send(
        _ method: String, params: JSONValue? = nil, mcpName: String? = nil, declaresTasks: Bool = true,
        timeout: Duration? = nil
    ) async throws -> JSONValue {
        let server = try await connect()
        do {
            return try await exchange(
                method, params: params, era: server.era, mcpName: mcpName, declaresTasks: declaresTasks,
                timeout: timeout)
        } catch MCPClientError.httpStatus(404, _) where server.era == .legacy && sessionID != nil {
            // The session ended on the server (restart, expiry): start a new one and try once more.
            closePushStream()
            self.server = nil
            sessionID = nil
            let again = try await connect()
            return try await exchange(
                method, params: params, era: again.era, mcpName: mcpName, declaresTasks: declaresTasks,
                timeout: timeout)
        }
    }

    /// One request without connecting first.
    func exchange(
        _ method: String, params: JSONValue?, era: MCPEra, mcpName: String? = nil, declaresTasks: Bool = true,
        timeout: Duration? = nil
    ) async throws -> JSONValue {
        let id = JSONRPCID.int(nextID())
        var params = params
        if era == .modern { params = modernParams(params, declaresTasks: declaresTasks) }
        let message = JSONRPCMessage.request(id: id, method: method, params: params)
        let response = try await post(message, era: era, method: method, mcpName: mcpName, timeout: timeout)
        return try await answer(to: id, in: response)
    }

    /// POSTs one message with the era's headers.
    func post(
        _ message: JSONRPCMessage, era: MCPEra, method: String?, mcpName: String? = nil, timeout: Duration? = nil
    ) async throws -> HTTPStreamingResponse {
        var request = baseRequest(timeout: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        switch era {
        case .legacy:
            if let sessionID { request.setValue(sessionID, forHTTPHeaderField: "Mcp-Session-Id") }
            if method != "initialize" {
                request.setValue(
                    server?.protocolVersion ?? Self.legacyVersion, forHTTPHeaderField: "MCP-Protocol-Version")
            }
        case .modern:
            request.setValue(Self.modernVersion, forHTTPHeaderField: "MCP-Protocol-Version")
            if let method { request.setValue(method, forHTTPHeaderField: "Mcp-Method") }
            if let mcpName { request.setValue(Self.headerValue(mcpName), forHTTPHeaderField: "Mcp-Name") }
        }
        request.httpBody = Data(message.bytes)
        return try await transport.send(request)
    }

    /// The 2026-07-28 `_meta` every request carries: version, capabilities (the tasks extension when declared),
    /// client info.
    func modernParams(_ params: JSONValue?, declaresTasks: Bool) -> JSONValue {
        var capabilities: [String: JSONValue] = [:]
        if declaresTasks { capabilities["extensions"] = [Self.tasksExtension: [:]] }
        if configuration.declaresElicitation { capabilities["elicitation"] = [:] }
        var meta = params?["_meta"]?.objectValue ?? [:]
        meta["io.modelcontextprotocol/protocolVersion"] = .string(Self.modernVersion)
        meta["io.modelcontextprotocol/clientCapabilities"] = .object(capabilities)
        meta["io.modelcontextprotocol/clientInfo"] = [
            "name": .string(configuration.clientName), "version": .string(configuration.clientVersion),
        ]
        return (params ?? [:]).setting("_meta", to: .object(meta))
    }

    /// A header value as 2026-07-28 spells it: plain ASCII as is, anything else as `=?base64?…?=`.
    static func headerValue(_ value: String) -> String {
        let plain = value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } && !value.hasPrefix("=?base64?")
        return plain ? value : "=?base64?" + Data(value.utf8).base64EncodedString() + "?="
    }

    /// Reads the response to request `id` from a JSON body or an SSE stream; messages the server sends before it
    /// (notifications, its own requests) are handled on the way.
    func answer(to id: JSONRPCID, in response: HTTPStreamingResponse) async throws -> JSONValue {
        let limits = configuration.limits
        if response.isEventStream, (200..<300).contains(response.status) {
            for try await message in Self.messages(of: response, limits: limits) {
                switch message {
                case .result(id, let result):
                    response.cancel()
                    return result
                case .error(id, let error):
                    response.cancel()
                    throw MCPClientError.rejected(error)
                default:
                    await handleServerMessage(message)
                }
            }
            throw MCPClientError.protocolViolation("the event stream ended without the response to request \(id)")
        }
        let body = try await response.collect(limit: limits.maxResponseBytes)
        let isJSON = response.header("content-type")?.lowercased().contains("json") ?? false
        let message = isJSON ? try? JSONRPCMessage(bytes: body) : nil
        if response.status == 401 || response.status == 403 {
            // Credentials, not the request: the status says it (a JSON-RPC error body only explains).
            if case .error(_, let error) = message { throw MCPClientError.httpStatus(response.status, error.message) }
            throw MCPClientError.httpStatus(response.status, Self.snippet(body))
        }
        if response.status == 404, sessionID != nil, server?.era == .legacy {
            // 2025-11-25: the session ended on the server; ``send`` starts a new one.
            if case .error(_, let error) = message { throw MCPClientError.httpStatus(404, error.message) }
            throw MCPClientError.httpStatus(404, Self.snippet(body))
        }
        if let message {
            switch message {
            case .result(_, let result): return result
            case .error(_, let error): throw MCPClientError.rejected(error)
            default: break
            }
        }
        guard (200..<300).contains(response.status) else {
            throw MCPClientError.httpStatus(response.status, Self.snippet(body))
        }
        throw MCPClientError.protocolViolation("no JSON-RPC response in the answer: \(Self.snippet(body))")
    }

    /// The start of a body, for error messages.
    static func snippet(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The JSON-RPC messages of an SSE response, in order (events with empty data, like priming events, skipped).
    static func messages(of response: HTTPStreamingResponse, limits: MCPClientConfiguration.Limits)
        -> AsyncThrowingStream<JSONRPCMessage, any Error>
    {
        // Bounded: a reader more than 1,024 messages behind loses the stream (an error), never messages silently.
        AsyncThrowingStream(bufferingPolicy: .bufferingOldest(1_024)) { continuation in
            let reader = Task {
                var parser = ServerSentEventParser(maxEventBytes: limits.maxEventBytes)
                do {
                    for try await chunk in response.body {
                        for event in try parser.feed(chunk) where !event.data.isEmpty {
                            guard event.event == nil || event.event == "message" else { continue }
                            let message: JSONRPCMessage
                            do {
                                message = try JSONRPCMessage(bytes: Array(event.data.utf8))
                            } catch {
                                throw MCPClientError.protocolViolation("bad message on an event stream: \(error)")
                            }
                            if case .dropped = continuation.yield(message) {
                                throw MCPClientError.limitExceeded("the reader fell 1,024 messages behind a stream")
                            }
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: HTTPStreamingTransport.clientError(error))
                }
            }
            continuation.onTermination = { _ in
                reader.cancel()
                response.cancel()
            }
        }
    }

    /// A message the server sent that is not the awaited response: task notifications go to the watchers; a
    /// `ping` is answered; an in-task question is handed to the task's watchers; other requests are refused.
    func handleServerMessage(_ message: JSONRPCMessage) async {
        switch message {
        case .request(let id, "ping", _):
            await respond(.result(id: id, result: [:]))
        case .request(let id, "elicitation/create", let params):
            if !push.deliver(message) {
                let reason = "this client answers only questions of a task (related-task), not \(params ?? .null)"
                await respond(.error(id: id, error: .invalidRequest(reason)))
            }
        case .request(let id, let method, _):
            await respond(.error(id: id, error: .methodNotFound("this client does not handle \(method)")))
        case .notification:
            _ = push.deliver(message)
        default:
            break
        }
    }

    /// POSTs a response to one of the server's requests (2025-11-25; the server answers 202).
    func respond(_ message: JSONRPCMessage) async {
        guard let response = try? await post(message, era: .legacy, method: nil) else { return }
        response.cancel()
    }
}
