import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Glibc
import Logging
import Testing

/// An in-process application with a tokens file: alice and carol share team "chem", bob is alone, and a few
/// principals have tight limits for the quota tests.
struct AuthHarness {
    let app: ErrandApplication
    let store: MemoryTaskStore
    let tokensFile: TemporaryFile
    var tokensPath: String { tokensFile.path }

    static let tokens = [
        "alice": "alice-token-0123456789", "bob": "bob-token-0123456789", "carol": "carol-token-0123456789",
        "rate": "rate-token-0123456789", "queue": "queue-token-0123456789", "solo": "solo-token-0123456789",
    ]

    static func entry(_ name: String, _ extra: String = "") -> String {
        #"{"name": "\#(name)", "tokens": ["\#(AccessToken.hash(tokens[name]!))"]\#(extra)}"#
    }

    static let defaultFile = """
        {"principals": [
          \(entry("alice", #", "team": "chem", "maxPriority": 5"#)),
          \(entry("carol", #", "team": "chem""#)),
          \(entry("bob")),
          \(entry("rate", #", "limits": {"submissionsPerMinute": 2}"#)),
          \(entry("queue", #", "limits": {"concurrentTasks": 1, "queuedTasks": 1}"#)),
          \(entry("solo", #", "limits": {"concurrentTasks": 1, "queuedTasks": 0}"#))
        ]}
        """

    static func started(
        file: String = defaultFile, configure: (inout ErrandConfiguration) -> Void = { _ in }
    ) async throws -> AuthHarness {
        let path = "/tmp/errand-auth-test-\(UInt64.random(in: 0...UInt64.max)).json"
        try write(file, to: path)
        var configuration = ErrandConfiguration()
        configuration.publicDirectory = nil
        configuration.authenticator = try Authenticator(
            path: path, logger: Logger(label: "auth-test", factory: { _ in SwiftLogNoOpLogHandler() }))
        configure(&configuration)
        let store = MemoryTaskStore()
        let app = ErrandApplication(
            configuration: configuration, catalog: RESTHarness.catalog, store: store,
            logger: Logger(label: "auth-test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await app.start()
        StartedApplications.register(app)
        return AuthHarness(app: app, store: store, tokensFile: TemporaryFile(path: path))
    }

    static func write(_ text: String, to path: String) throws {
        guard let file = fopen(path, "wb") else { throw TestFailure("cannot write \(path)") }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
    }

    func send(
        _ method: String, _ target: String, as principal: String?, body: String = "",
        headers extra: [(String, String)] = [], remote: String = "127.0.0.1:40000"
    ) async -> HTTPResponse {
        var headers: HTTPHeaders = ["Host": "127.0.0.1:8080"]
        if let principal { headers.set("Authorization", "Bearer \(Self.tokens[principal] ?? principal)") }
        if !body.isEmpty { headers.set("Content-Type", "application/json") }
        for (name, value) in extra { headers.set(name, value) }
        let request = HTTPRequest(
            method: method, target: target, headers: headers, body: Array(body.utf8), remoteAddress: remote)
        switch app.reply(to: request) {
        case .immediate(let response): return response
        case .deferred(let body): return await body()
        }
    }

    /// POSTs a JSON-RPC message to /mcp.
    func post(_ message: JSONValue, as principal: String?, session: String? = nil) async -> HTTPResponse {
        var headers = [("Accept", "application/json, text/event-stream")]
        if let session { headers.append(("Mcp-Session-Id", session)) }
        return await send("POST", "/mcp", as: principal, body: JSONWriter.string(message), headers: headers)
    }

    /// Starts a session for `principal`; returns its id.
    func initialize(as principal: String?) async throws -> String {
        let response = await post(
            [
                "jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": [
                    "protocolVersion": "2025-11-25", "capabilities": [:], "clientInfo": ["name": "t", "version": "1"],
                ],
            ], as: principal)
        guard let session = response.headers["Mcp-Session-Id"] else {
            throw TestFailure("no session: \(response.status) \(response.text)")
        }
        return session
    }

    /// A request in a session; the JSON-RPC response.
    func rpc(_ method: String, _ params: JSONValue, session: String, as principal: String?) async throws -> JSONValue {
        let response = await post(
            ["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": params], as: principal, session: session)
        return try await TestApplication.rpcResponse(response)
    }

    /// Starts `sleep` as a task over MCP; returns the JSON-RPC response.
    func startTask(
        session: String, as principal: String, seconds: Double = 30, meta: JSONValue? = nil,
        arguments: JSONValue? = nil
    ) async throws -> JSONValue {
        var params: JSONValue = [
            "name": "sleep", "arguments": arguments ?? ["seconds": .double(seconds)], "task": ["ttl": 600_000],
        ]
        if let meta { params = params.setting("_meta", to: meta) }
        return try await rpc("tools/call", params, session: session, as: principal)
    }

    func taskID(session: String, as principal: String, seconds: Double = 30) async throws -> String {
        let response = try await startTask(session: session, as: principal, seconds: seconds)
        guard let id = response["result"]?["task"]?["taskId"]?.stringValue else {
            throw TestFailure("no task: \(response)")
        }
        return id
    }
}

/// A file deleted when the last reference to it goes.
final class TemporaryFile: Sendable {
    let path: String
    init(path: String) { self.path = path }
    deinit { unlink(path) }
}

/// Bearer-token authentication on every protected route.
@Suite(.shutsDownApplications) struct AuthTests {
    @Test func mcpWithoutATokenIs401WithAChallengeAndAJSONRPCError() async throws {
        let harness = try await AuthHarness.started()
        let response = await harness.post(["jsonrpc": "2.0", "id": 1, "method": "ping"], as: nil)
        #expect(response.status == 401)
        #expect(response.headers["WWW-Authenticate"] == #"Bearer realm="errand""#)
        let body = try #require(response.bodyJSON)
        #expect(body["id"] == .null)
        #expect(body["error"]?["code"] == .int(Int64(ErrandErrorCode.unauthorized)))
        #expect(body["error"]?["message"]?.stringValue?.contains("Authorization: Bearer") == true)
    }

    @Test func aWrongTokenIs401InvalidToken() async throws {
        let harness = try await AuthHarness.started()
        let mcp = await harness.post(["jsonrpc": "2.0", "id": 1, "method": "ping"], as: "not-a-token")
        #expect(mcp.status == 401)
        #expect(mcp.headers["WWW-Authenticate"] == #"Bearer realm="errand", error="invalid_token""#)
        let rest = await harness.send("GET", "/api/tasks", as: "not-a-token")
        #expect(rest.status == 401)
        #expect(rest.headers["WWW-Authenticate"]?.hasPrefix(#"Bearer realm="errand""#) == true)
        let basic = await harness.send("GET", "/api/tasks", as: nil, headers: [("Authorization", "Basic YTpi")])
        #expect(basic.status == 401)
    }

    @Test func restWithoutATokenIs401ProblemJSON() async throws {
        let harness = try await AuthHarness.started()
        for target in ["/api/tasks", "/api/tools", "/api/tasks/abc", "/api/events"] {
            let response = await harness.send("GET", target, as: nil)
            #expect(response.status == 401, "\(target)")
            #expect(response.headers["Content-Type"] == "application/problem+json")
            #expect(response.headers["WWW-Authenticate"] == #"Bearer realm="errand""#)
            #expect(response.json["status"] == 401)
        }
        #expect(await harness.send("GET", "/api/tasks", as: "alice").status == 200)
    }

    @Test func healthReadinessAndLoopbackMetricsStayOpen() async throws {
        let harness = try await AuthHarness.started()
        #expect(await harness.send("GET", "/healthz", as: nil).status == 200)
        #expect(await harness.send("GET", "/readyz", as: nil).status == 200)
        #expect(await harness.send("GET", "/metrics", as: nil).status == 200)
        #expect(await harness.send("GET", "/api/openapi.yaml", as: nil).status != 401)
    }

    @Test func metricsNeedATokenOffLoopback() async throws {
        let harness = try await AuthHarness.started { $0.http.host = "0.0.0.0" }
        #expect(await harness.send("GET", "/metrics", as: nil).status == 401)
        #expect(await harness.send("GET", "/metrics", as: "bob").status == 200)
    }

    @Test func authStatusTellsTheDashboard() async throws {
        let harness = try await AuthHarness.started()
        let anonymous = await harness.send("GET", "/api/auth", as: nil)
        #expect(anonymous.status == 200)
        #expect(anonymous.json["required"] == true)
        #expect(anonymous.json["principal"] == .null)
        let alice = await harness.send("GET", "/api/auth", as: "alice")
        #expect(alice.json["principal"]?["name"] == "alice")
        #expect(alice.json["principal"]?["team"] == "chem")
        #expect(alice.json["principal"]?["maxPriority"] == 5)
        #expect(await harness.send("GET", "/api/auth", as: "wrong").status == 401)
        let open = try await RESTHarness.started()
        let off = await open.send("GET", "/api/auth")
        #expect(off.json["required"] == false)
    }

    @Test func eventStreamTakesTheTokenFromTheQuery() async throws {
        let harness = try await AuthHarness.started()
        let token = AuthHarness.tokens["alice"]!
        let response = await harness.send("GET", "/api/events?access_token=\(token)", as: nil)
        #expect(response.status == 200)
        response.stream?.cancel()
        // Only the event stream takes it.
        #expect(await harness.send("GET", "/api/tasks?access_token=\(token)", as: nil).status == 401)
        #expect(await harness.send("GET", "/api/events?access_token=nope", as: nil).status == 401)
    }

    @Test func aSessionIsBoundToItsPrincipal() async throws {
        let harness = try await AuthHarness.started()
        let session = try await harness.initialize(as: "alice")
        let ping: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": "ping"]
        #expect(await harness.post(ping, as: "alice", session: session).status == 200)
        let bobs = await harness.post(ping, as: "bob", session: session)
        #expect(bobs.status == 404)
        let unknown = await harness.post(ping, as: "bob", session: "no-such-session")
        #expect(bobs.json == unknown.json && unknown.status == 404)
        // Not even a teammate may use it; DELETE and GET by another principal are 404 too.
        #expect(await harness.post(ping, as: "carol", session: session).status == 404)
        let delete = await harness.send("DELETE", "/mcp", as: "bob", headers: [("Mcp-Session-Id", session)])
        #expect(delete.status == 404)
        let stream = await harness.send(
            "GET", "/mcp", as: "bob", headers: [("Mcp-Session-Id", session), ("Accept", "text/event-stream")])
        #expect(stream.status == 404)
        #expect(await harness.post(ping, as: nil, session: session).status == 401)
        #expect(await harness.post(ping, as: "alice", session: session).status == 200)
    }
}
