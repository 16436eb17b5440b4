import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Testing

/// With authentication, a 2026-07-28 task belongs to its principal (and team) exactly like a 2025-11-25 one.
@Suite(.shutsDownApplications) struct ModernMCPAuthTests {
    func modern(_ harness: AuthHarness, _ method: String, _ params: JSONValue, as principal: String?) async
        -> HTTPResponse
    {
        let meta: JSONValue = [
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": ["extensions": ["io.modelcontextprotocol/tasks": [:]]],
        ]
        let body: JSONValue = [
            "jsonrpc": "2.0", "id": 1, "method": .string(method), "params": params.setting("_meta", to: meta),
        ]
        var headers = [
            ("Accept", "application/json, text/event-stream"), ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", method),
        ]
        if let name = params["name"]?.stringValue { headers.append(("Mcp-Name", name)) }
        return await harness.send("POST", "/mcp", as: principal, body: JSONWriter.string(body), headers: headers)
    }

    @Test func aModernTaskBelongsToItsPrincipalAndTeam() async throws {
        let harness = try await AuthHarness.started()
        let created = await modern(harness, "tools/call", ["name": "sleep", "arguments": ["seconds": 30]], as: "alice")
        let id = try #require(created.bodyJSON?["result"]?["taskId"])
        let foreign = await modern(harness, "tasks/get", ["taskId": id], as: "bob")
        let unknown = await modern(harness, "tasks/get", ["taskId": "00000000-0000-4000-8000-000000000000"], as: "bob")
        #expect(foreign.status == 400)
        #expect(foreign.bodyJSON?["error"]?["code"] == -32602)
        #expect(foreign.bodyJSON?["error"]?["message"] == unknown.bodyJSON?["error"]?["message"])
        #expect(await modern(harness, "tasks/cancel", ["taskId": id], as: "bob").status == 400)
        let teammate = await modern(harness, "tasks/get", ["taskId": id], as: "carol")
        #expect(teammate.bodyJSON?["result"]?["status"] == "working")
        // The REST API and the legacy era see the same task, owned by alice.
        #expect(await harness.send("GET", "/api/tasks/\(id.stringValue ?? "")", as: "alice").status == 200)
        #expect(await harness.send("GET", "/api/tasks/\(id.stringValue ?? "")", as: "bob").status == 404)
        let session = try await harness.initialize(as: "alice")
        let legacy = try await harness.rpc("tasks/get", ["taskId": id], session: session, as: "alice")
        #expect(legacy["result"]?["status"] == "working")
        let cancelled = await modern(harness, "tasks/cancel", ["taskId": id], as: "alice")
        #expect(cancelled.bodyJSON?["result"] == ["resultType": "complete"])
    }

    @Test func aForeignTaskIsNotHonouredOnListen() async throws {
        let harness = try await AuthHarness.started()
        let created = await modern(harness, "tools/call", ["name": "sleep", "arguments": ["seconds": 30]], as: "alice")
        let id = try #require(created.bodyJSON?["result"]?["taskId"])
        let response = await modern(harness, "subscriptions/listen", ["notifications": ["taskIds": [id]]], as: "bob")
        guard case .eventStream(let stream) = response.body else { throw TestFailure("listen did not stream") }
        let ack = try await TestApplication.nextMessage(on: stream, method: "notifications/subscriptions/acknowledged")
        #expect(ack["params"]?["notifications"] == [:])
        stream.cancel()
    }

    @Test func aModernRequestWithoutATokenIsRefused() async throws {
        let harness = try await AuthHarness.started()
        let response = await modern(harness, "server/discover", [:], as: nil)
        #expect(response.status == 401)
    }
}
