import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Testing

/// One engine behind both doors: REST tasks are visible over MCP, and MCP tasks over REST.
@Suite(.shutsDownApplications) struct RESTInteropTests {
    static func mcp(_ app: RESTHarness, _ session: String?, _ body: String) async -> HTTPResponse {
        var headers: HTTPHeaders = ["Accept": "application/json, text/event-stream"]
        if let session {
            headers.set("Mcp-Session-Id", session)
            headers.set("MCP-Protocol-Version", "2025-11-25")
        }
        return await app.send("POST", "/mcp", body: body, headers: headers)
    }

    static func session(_ app: RESTHarness) async throws -> String {
        let response = await mcp(
            app, nil,
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
        )
        return try #require(response.headers["Mcp-Session-Id"])
    }

    @Test func restTaskIsVisibleOverMCP() async throws {
        let app = try await RESTHarness.started()
        let id = await app.start("sleep", #"{"seconds": 0}"#)
        let session = try await Self.session(app)
        let response = await Self.mcp(
            app, session, #"{"jsonrpc":"2.0","id":2,"method":"tasks/get","params":{"taskId":"\#(id)"}}"#)
        #expect(response.json["result"]?["taskId"]?.stringValue == id)
    }

    @Test func mcpTaskIsVisibleOverREST() async throws {
        let app = try await RESTHarness.started()
        let session = try await Self.session(app)
        let created = await Self.mcp(
            app, session,
            #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"sleep","arguments":{"seconds":0},"task":{}}}"#
        )
        let id = try #require(created.json["result"]?["task"]?["taskId"]?.stringValue)
        let response = await app.send("GET", "/api/tasks/\(id)/result?wait=5s")
        #expect(response.status == 200)
        #expect(response.json["status"] == "completed")
        #expect(await app.send("GET", "/api/tasks").text.contains(id))
    }
}
