import Errand
import ErrandDemo
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Logging

/// Drives an ``ErrandApplication`` in-process: HTTP requests in, responses out, no sockets.
struct TestApplication {
    let app: ErrandApplication
    static let jsonHeaders: HTTPHeaders = [
        "Host": "127.0.0.1:8080", "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
    ]

    init(catalog: Catalog = DemoCatalog.make(), configure: (inout ErrandConfiguration) -> Void = { _ in }) async throws
    {
        var configuration = ErrandConfiguration()
        configuration.publicDirectory = nil
        configure(&configuration)
        app = ErrandApplication(
            configuration: configuration, catalog: catalog, store: MemoryTaskStore(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await app.start()
        StartedApplications.register(app)
    }

    func send(_ request: HTTPRequest) async -> HTTPResponse {
        switch app.reply(to: request) {
        case .immediate(let response): return response
        case .deferred(let body): return await body()
        }
    }

    /// POSTs raw bytes to /mcp.
    func post(_ body: String, session: String? = nil, headers extra: [(String, String)] = []) async -> HTTPResponse {
        var headers = Self.jsonHeaders
        if let session { headers.set("Mcp-Session-Id", session) }
        for (name, value) in extra { headers.set(name, value) }
        return await send(HTTPRequest(method: "POST", target: "/mcp", headers: headers, body: Array(body.utf8)))
    }

    /// POSTs a JSON-RPC message to /mcp.
    func post(_ message: JSONValue, session: String? = nil, headers extra: [(String, String)] = []) async
        -> HTTPResponse
    {
        await post(JSONWriter.string(message), session: session, headers: extra)
    }

    /// Sends a request in a session and returns the parsed JSON-RPC response (from JSON or an SSE stream).
    func call(_ method: String, _ params: JSONValue? = nil, id: JSONValue = 1, session: String) async throws
        -> JSONValue
    {
        var message: JSONValue = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
        if let params { message = message.setting("params", to: params) }
        let response = await post(message, session: session)
        return try await Self.rpcResponse(response)
    }

    /// The JSON-RPC response in an HTTP response: the body, or the last message of an event stream.
    static func rpcResponse(_ response: HTTPResponse) async throws -> JSONValue {
        switch response.body {
        case .bytes(let bytes):
            return try JSONParser.parse(bytes)
        case .eventStream(let stream):
            var last: JSONValue = .null
            while let event = await stream.next() {
                let value = try JSONParser.parse(event.data)
                if value["id"] != nil { last = value }
            }
            return last
        }
    }

    /// Starts a session negotiated at `version`; returns its id.
    func initialize(version: String = "2025-11-25", capabilities: JSONValue = [:]) async throws -> String {
        let response = await post([
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": [
                "protocolVersion": .string(version), "capabilities": capabilities,
                "clientInfo": ["name": "test", "version": "1"],
            ],
        ])
        guard let session = response.headers["Mcp-Session-Id"] else { throw TestFailure("no session id issued") }
        _ = await post(["jsonrpc": "2.0", "method": "notifications/initialized"], session: session)
        return session
    }

    /// Opens the session's GET event stream.
    func openEventStream(session: String) async throws -> SSEStream {
        var headers = Self.jsonHeaders
        headers.set("Mcp-Session-Id", session)
        headers.set("Accept", "text/event-stream")
        let response = await send(HTTPRequest(method: "GET", target: "/mcp", headers: headers))
        guard case .eventStream(let stream) = response.body else { throw TestFailure("GET did not open a stream") }
        return stream
    }

    /// Waits for the next JSON-RPC message on a stream whose method is `method`.
    static func nextMessage(on stream: SSEStream, method: String, where predicate: (JSONValue) -> Bool = { _ in true })
        async throws -> JSONValue
    {
        while let event = await stream.next() {
            let value = try JSONParser.parse(event.data)
            if value["method"]?.stringValue == method, predicate(value) { return value }
        }
        throw TestFailure("stream ended before \(method)")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension HTTPResponse {
    var bodyJSON: JSONValue? {
        guard case .bytes(let bytes) = body else { return nil }
        return try? JSONParser.parse(bytes)
    }
}

/// Polls `condition` every 10 ms until it holds or two seconds pass; returns whether it held.
func eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<200 {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
