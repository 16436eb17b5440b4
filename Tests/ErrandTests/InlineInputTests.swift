import ErrandHTTP
import ErrandProtocol
import Testing

/// A plain 2025-11-25 `tools/call` whose tool asks for input: `elicitation/create` on the call's own stream.
@Suite(.shutsDownApplications) struct InlineInputTests {
    static let elicitation: JSONValue = ["elicitation": ["form": [:]]]

    func callApproval(_ app: TestApplication, session: String, meta: JSONValue? = nil) async throws -> SSEStream {
        var params: JSONValue = ["name": "approve_deployment", "arguments": ["service": "web"]]
        if let meta { params = params.setting("_meta", to: meta) }
        let response = await app.post(
            ["jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params], session: session)
        guard case .eventStream(let stream) = response.body else { throw TestFailure("the call did not stream") }
        return stream
    }

    func answer(_ app: TestApplication, _ request: JSONValue, approve: Bool, session: String) async {
        let reply = await app.post(
            [
                "jsonrpc": "2.0", "id": request["id"] ?? .null,
                "result": ["action": "accept", "content": ["approve": .bool(approve)]],
            ], session: session)
        #expect(reply.status == 202)
    }

    @Test func theToolAsksOnTheCallsStreamAndContinues() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize(capabilities: Self.elicitation)
        let stream = try await callApproval(app, session: session)
        let request = try await TestApplication.nextMessage(on: stream, method: "elicitation/create")
        #expect(request["params"]?["message"] == "Deploy web to production?")
        await answer(app, request, approve: true, session: session)
        let result = try await TestApplication.rpcResponse(.eventStream(stream))
        #expect(result["id"] == 7)
        #expect(result["result"]?["content"]?[0]?["text"] == "deployed web")
    }

    @Test func aCallWithAProgressTokenCanAskToo() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize(capabilities: Self.elicitation)
        let stream = try await callApproval(app, session: session, meta: ["progressToken": "p1"])
        let request = try await TestApplication.nextMessage(on: stream, method: "elicitation/create")
        await answer(app, request, approve: false, session: session)
        let result = try await TestApplication.rpcResponse(.eventStream(stream))
        #expect(result["result"]?["content"]?[0]?["text"] == "deployment of web not approved")
    }

    @Test func aToolThatNeverAsksStillAnswersWithJSON() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize(capabilities: Self.elicitation)
        let response = await app.post(
            [
                "jsonrpc": "2.0", "id": 3, "method": "tools/call",
                "params": ["name": "echo", "arguments": ["text": "json"]],
            ], session: session)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.bodyJSON?["result"]?["content"]?[0]?["text"] == "json")
    }

    @Test func withoutTheCapabilityTheToolIsToldItCannotAsk() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let result = try await app.call(
            "tools/call", ["name": "approve_deployment", "arguments": ["service": "web"]], session: session)
        #expect(result["result"]?["isError"] == true)
    }

    @Test func endingTheSessionReleasesTheWaitingCall() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize(capabilities: Self.elicitation)
        let stream = try await callApproval(app, session: session)
        _ = try await TestApplication.nextMessage(on: stream, method: "elicitation/create")
        var headers = TestApplication.jsonHeaders
        headers.set("Mcp-Session-Id", session)
        _ = await app.send(HTTPRequest(method: "DELETE", target: "/mcp", headers: headers))
        // The stream ends without a result: the call was cancelled with its session.
        let last = try await TestApplication.rpcResponse(.eventStream(stream))
        #expect(last == .null)
    }
}
