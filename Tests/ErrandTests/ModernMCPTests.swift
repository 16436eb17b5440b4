import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Testing

@testable import Errand

/// MCP 2026-07-28 with the tasks extension on `/mcp`, beside 2025-11-25 sessions, driven in-process.
@Suite(.shutsDownApplications) struct ModernMCPTests {
    static let tasksCapabilities: JSONValue = ["extensions": ["io.modelcontextprotocol/tasks": [:]]]

    /// POSTs a modern request with matching headers; `headers` override (or, with `nil`, remove) them.
    func send(
        _ app: TestApplication, _ method: String, _ params: JSONValue = [:], id: JSONValue = 1,
        capabilities: JSONValue = tasksCapabilities, headers overrides: [String: String?] = [:]
    ) async -> HTTPResponse {
        let meta: JSONValue = [
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": capabilities,
        ]
        let body: JSONValue = [
            "jsonrpc": "2.0", "id": id, "method": .string(method), "params": params.setting("_meta", to: meta),
        ]
        var headers: [String: String?] = ["MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method]
        if method == "tools/call" { headers["Mcp-Name"] = params["name"]?.stringValue }
        headers.merge(overrides) { _, new in new }
        var request = TestApplication.jsonHeaders
        for (name, value) in headers { if let value { request.set(name, value) } }
        return await app.send(
            HTTPRequest(method: "POST", target: "/mcp", headers: request, body: Array(JSONWriter.string(body).utf8)))
    }

    func result(_ app: TestApplication, _ method: String, _ params: JSONValue = [:]) async throws -> JSONValue {
        let response = await send(app, method, params)
        #expect(response.status == 200)
        return try #require(response.bodyJSON?["result"], "no result in \(String(describing: response.bodyJSON))")
    }

    /// Waits for the task to end through the engine (no polling, no sleeps), then reads it with `tasks/get`.
    func waitTerminal(_ app: TestApplication, _ id: JSONValue) async throws -> JSONValue {
        let taskID = try #require(id.stringValue)
        _ = try await app.app.engine.waitForTerminal(.init(taskID), for: .anonymous)
        return try await result(app, "tasks/get", ["taskId": id])
    }

    @Test func eraIsChosenPerRequest() {
        let modernHeaders: HTTPHeaders = ["MCP-Protocol-Version": "2026-07-28"]
        let request = JSONRPCMessage.request(id: .int(1), method: "tools/list", params: nil)
        #expect(MCPEra.of(request, headers: modernHeaders) == .modern)
        #expect(MCPEra.of(request, headers: ["MCP-Protocol-Version": "2025-11-25"]) == .legacy)
        let withMeta = JSONRPCMessage.request(
            id: .int(1), method: "tools/list", params: ["_meta": ["io.modelcontextprotocol/protocolVersion": "x"]])
        #expect(MCPEra.of(withMeta, headers: [:]) == .modern)
        var inSession = modernHeaders
        inSession.set("Mcp-Session-Id", "abc")
        #expect(MCPEra.of(request, headers: inSession) == .legacy)
        #expect(MCPEra.of(withMeta, headers: inSession) == .modern)
        let initialize = JSONRPCMessage.request(id: .int(1), method: "initialize", params: nil)
        #expect(MCPEra.of(initialize, headers: modernHeaders) == .legacy)
    }

    @Test func headerValuesDecodeTheBase64Sentinel() {
        #expect(ModernMCPRequest.decodeHeaderValue("plain") == "plain")
        #expect(ModernMCPRequest.decodeHeaderValue("=?base64?SGVsbG8sIOS4lueVjA==?=") == "Hello, 世界")
        #expect(ModernMCPRequest.decodeHeaderValue("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=") == "=?base64?literal?=")
        #expect(ModernMCPRequest.decodeHeaderValue("=?base64?not*base64?=") == nil)
    }

    @Test func discoverAndErrorsWithTheirStatuses() async throws {
        let app = try await TestApplication()
        let discover = try await result(app, "server/discover")
        #expect(discover["resultType"] == "complete")
        #expect(discover["supportedVersions"]?.arrayValue?.contains("2026-07-28") == true)
        #expect(discover["supportedVersions"]?.arrayValue?.contains("2025-11-25") == true)
        #expect(discover["capabilities"]?["extensions"]?["io.modelcontextprotocol/tasks"] != nil)
        #expect(discover["capabilities"]?["tasks"] == nil)

        let unknown = await send(app, "no/such")
        #expect(unknown.status == 404)
        #expect(unknown.headers["Content-Type"] == "application/json")
        #expect(unknown.bodyJSON?["error"]?["code"] == .int(-32601))
        let wrongMethod = await send(app, "tools/list", headers: ["Mcp-Method": "prompts/list"])
        #expect(wrongMethod.status == 400)
        #expect(wrongMethod.bodyJSON?["error"]?["code"] == .int(-32020))
        let wrongName = await send(
            app, "tools/call", ["name": "echo", "arguments": ["text": "x"]], headers: ["Mcp-Name": "sleep"])
        #expect(wrongName.bodyJSON?["error"]?["code"] == .int(-32020))
        let unsupported = await send(app, "tools/list", headers: ["MCP-Protocol-Version": "2099-01-01"])
        // The header disagrees with _meta first.
        #expect(unsupported.bodyJSON?["error"]?["code"] == .int(-32020))
        let noTaskName = await send(app, "tasks/get", ["taskId": "nope"], headers: ["Mcp-Name": nil])
        #expect(noTaskName.bodyJSON?["error"]?["code"] == .int(-32602))
    }

    @Test func declaringClientGetsATaskOthersRunInline() async throws {
        let app = try await TestApplication()
        let created = try await result(app, "tools/call", ["name": "sleep", "arguments": ["seconds": 0.05]])
        #expect(created["resultType"] == "task")
        #expect(created["status"] == "working")
        #expect(created["ttlMs"] != nil)
        let id = try #require(created["taskId"])
        let done = try await waitTerminal(app, id)
        #expect(done["status"] == "completed")
        #expect(done["result"]?["content"]?[0]?["text"] == "slept 0.05")

        let inline = await send(app, "tools/call", ["name": "sleep", "arguments": ["seconds": 0]], capabilities: [:])
        #expect(inline.bodyJSON?["result"]?["resultType"] == "complete")
        #expect(inline.bodyJSON?["result"]?["content"]?[0]?["text"] == "slept 0")
        let required = await send(app, "tools/call", ["name": "must_be_background"], capabilities: [:])
        #expect(required.status == 400)
        #expect(required.bodyJSON?["error"]?["code"] == .int(-32021))
        #expect(
            required.bodyJSON?["error"]?["data"]?["requiredCapabilities"]?["extensions"]?[
                "io.modelcontextprotocol/tasks"] != nil)
    }

    @Test func isErrorReadsCompletedHereAndFailedInTheLegacyView() async throws {
        let app = try await TestApplication()
        let created = try await result(app, "tools/call", ["name": "fail", "arguments": ["message": "boom"]])
        let id = try #require(created["taskId"])
        let done = try await waitTerminal(app, id)
        #expect(done["status"] == "completed")
        #expect(done["result"]?["isError"] == true)
        let session = try await app.initialize()
        let legacy = try await app.call("tasks/get", ["taskId": id], session: session)
        #expect(legacy["result"]?["status"] == "failed")
    }

    @Test func inputRequestIsAnsweredByTasksUpdateAndPushedToListeners() async throws {
        let app = try await TestApplication()
        let created = try await result(
            app, "tools/call", ["name": "approve_deployment", "arguments": ["service": "api"]])
        let id = try #require(created["taskId"])
        let listen = await send(app, "subscriptions/listen", ["notifications": ["taskIds": [id]]], id: "sub")
        guard case .eventStream(let stream) = listen.body else { throw TestFailure("listen did not stream") }
        let ack = try await TestApplication.nextMessage(on: stream, method: "notifications/subscriptions/acknowledged")
        #expect(ack["params"]?["notifications"]?["taskIds"] == [id])
        #expect(ack["params"]?["_meta"]?["io.modelcontextprotocol/subscriptionId"] == "sub")
        let asking = try await TestApplication.nextMessage(on: stream, method: "notifications/tasks") {
            $0["params"]?["status"] == "input_required"
        }
        let requests = try #require(asking["params"]?["inputRequests"]?.objectValue)
        #expect(asking["params"]?["_meta"]?["io.modelcontextprotocol/subscriptionId"] == "sub")
        let key = try #require(requests.keys.first)
        #expect(requests[key]?["method"] == "elicitation/create")
        let polled = try await result(app, "tasks/get", ["taskId": id])
        #expect(polled["inputRequests"] == .object(requests))
        let update = try await result(
            app, "tasks/update",
            ["taskId": id, "inputResponses": [key: ["action": "accept", "content": ["approve": true]]]])
        #expect(update == ["resultType": "complete"])
        let finished = try await TestApplication.nextMessage(on: stream, method: "notifications/tasks") {
            $0["params"]?["status"] == "completed"
        }
        #expect(finished["params"]?["result"]?["content"]?[0]?["text"] == "deployed api")
        stream.cancel()
    }

    @Test func cancelAcknowledgesAndLegacyTasksAreShared() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let legacy = try await app.call(
            "tools/call", ["name": "sleep", "arguments": ["seconds": 60], "task": ["ttl": 60000]], session: session)
        let id = try #require(legacy["result"]?["task"]?["taskId"])
        let seen = try await result(app, "tasks/get", ["taskId": id])
        #expect(seen["status"] == "working")
        #expect(seen["ttlMs"] == .int(60000))
        #expect(try await result(app, "tasks/cancel", ["taskId": id]) == ["resultType": "complete"])
        let cancelled = try await waitTerminal(app, id)
        #expect(cancelled["status"] == "cancelled")
        #expect(try await result(app, "tasks/cancel", ["taskId": id]) == ["resultType": "complete"])
        let removed = await send(app, "tasks/list")
        #expect(removed.status == 404)
    }

    @Test func listenRefusesTooManyTaskIDs() async throws {
        let app = try await TestApplication { $0.mcp.maxListenTaskIDs = 2 }
        let response = await send(app, "subscriptions/listen", ["notifications": ["taskIds": ["a", "b", "c"]]])
        #expect(response.status == 400)
        #expect(response.bodyJSON?["error"]?["code"] == .int(-32602))
    }

    @Test func legacyRequestsBehaveAsBefore() async throws {
        let app = try await TestApplication()
        let noSession = await app.post(["jsonrpc": "2.0", "id": 1, "method": "tools/list"])
        #expect(noSession.status == 400)
        let session = try await app.initialize()
        let listed = try await app.call("tools/list", session: session)
        #expect(listed["result"]?["resultType"] == nil)
    }
}
