import Errand
import ErrandHTTP
import ErrandProtocol
import Testing

/// The Streamable HTTP transport rules (docs/mcp-protocol.md §4 and checklist items 12–39).
@Suite(.shutsDownApplications) struct TransportTests {
    @Test func initializeIssuesASessionAndEchoesASupportedVersion() async throws {
        let app = try await TestApplication()
        for version in ["2025-11-25", "2025-06-18", "2025-03-26"] {
            let response = await app.post([
                "jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": [
                    "protocolVersion": .string(version), "capabilities": [:],
                    "clientInfo": ["name": "t", "version": "1"],
                ],
            ])
            #expect(response.status == 200)
            let session = try #require(response.headers["Mcp-Session-Id"])
            #expect(session.count == 32 && session.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E })
            let body = try #require(response.bodyJSON)
            #expect(body["id"] == .int(0))
            #expect(body["result"]?["protocolVersion"] == .string(version))
            #expect(body["result"]?["serverInfo"]?["name"] == "errand")
        }
    }

    @Test func unknownVersionIsAnsweredWithOurNewest() async throws {
        let app = try await TestApplication()
        let response = await app.post([
            "jsonrpc": "2.0", "id": "init", "method": "initialize",
            "params": [
                "protocolVersion": "1999-01-01", "capabilities": [:], "clientInfo": ["name": "t", "version": "1"],
            ],
        ])
        #expect(response.bodyJSON?["result"]?["protocolVersion"] == "2025-11-25")
        #expect(response.bodyJSON?["id"] == "init")
    }

    @Test func tasksCapabilityHasEmptyObjectLeavesOnlyFor20251125() async throws {
        let app = try await TestApplication()
        let modern = await app.post([
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": [
                "protocolVersion": "2025-11-25", "capabilities": [:], "clientInfo": ["name": "t", "version": "1"],
            ],
        ])
        let tasks = try #require(modern.bodyJSON?["result"]?["capabilities"]?["tasks"])
        #expect(tasks["list"] == [:])
        #expect(tasks["cancel"] == [:])
        #expect(tasks["requests"]?["tools"]?["call"] == [:])
        let old = await app.post([
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": [
                "protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "t", "version": "1"],
            ],
        ])
        #expect(old.bodyJSON?["result"]?["capabilities"]?["tasks"] == nil)
    }

    @Test func transportRejectionsUseTheRightStatus() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let ping = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
        // Missing and unknown sessions; the server/discover probe of newer clients is refused fast.
        #expect(await app.post(ping).status == 400)
        #expect(await app.post(ping, session: "nope").status == 404)
        let probe = await app.post(
            #"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{}}"#,
            headers: [("MCP-Protocol-Version", "2026-07-28")])
        #expect(probe.status == 400)
        #expect(probe.headers["Mcp-Session-Id"] == nil)
        // Headers.
        #expect(await app.post(ping, session: session, headers: [("Accept", "text/html")]).status == 406)
        #expect(await app.post(ping, session: session, headers: [("Content-Type", "text/plain")]).status == 415)
        #expect(await app.post(ping, session: session, headers: [("MCP-Protocol-Version", "2026-07-28")]).status == 400)
        #expect(await app.post(ping, session: session, headers: [("MCP-Protocol-Version", "2025-06-18")]).status == 200)
        // Bodies.
        let garbage = await app.post("{not json", session: session)
        #expect(garbage.status == 400)
        #expect(garbage.bodyJSON?["error"]?["code"] == .int(-32700))
        let batch = await app.post("[\(ping)]", session: session)
        #expect(batch.status == 400)
        #expect(batch.bodyJSON?["error"]?["code"] == .int(-32600))
        let nullID = await app.post(#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, session: session)
        #expect(nullID.bodyJSON?["error"]?["code"] == .int(-32600))
        // Methods.
        let put = await app.send(HTTPRequest(method: "PUT", target: "/mcp", headers: TestApplication.jsonHeaders))
        #expect(put.status == 405)
        #expect(put.headers["Allow"] == "GET, POST, DELETE")
    }

    @Test func notificationsAndResponsesGet202WithNoBody() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let response = await app.post(["jsonrpc": "2.0", "method": "notifications/whatever"], session: session)
        #expect(response.status == 202)
        if case .bytes(let bytes) = response.body { #expect(bytes.isEmpty) } else { Issue.record("expected bytes") }
        let reply = await app.post(["jsonrpc": "2.0", "id": "unknown-server-request", "result": [:]], session: session)
        #expect(reply.status == 202)
        let cancelled = await app.post(
            ["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": 999]], session: session)
        #expect(cancelled.status == 202)
    }

    @Test func idsKeepTheirTypeAndPingWorksBeforeInitialized() async throws {
        let app = try await TestApplication()
        let response = await app.post([
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": [
                "protocolVersion": "2025-11-25", "capabilities": [:], "clientInfo": ["name": "t", "version": "1"],
            ],
        ])
        let session = try #require(response.headers["Mcp-Session-Id"])
        #expect(try await app.call("ping", id: 0, session: session) == ["jsonrpc": "2.0", "id": 0, "result": [:]])
        #expect(try await app.call("ping", id: "7", session: session)["id"] == "7")
        let unknown = try await app.call("no/such/method", session: session)
        #expect(unknown["error"]?["code"] == .int(-32601))
    }

    @Test func deleteEndsTheSession() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        var headers = TestApplication.jsonHeaders
        headers.set("Mcp-Session-Id", session)
        let deleted = await app.send(HTTPRequest(method: "DELETE", target: "/mcp", headers: headers))
        #expect(deleted.status == 200)
        #expect(await app.post(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, session: session).status == 404)
        #expect(await app.send(HTTPRequest(method: "DELETE", target: "/mcp", headers: headers)).status == 404)
    }

    @Test func originAndHostAreChecked() async throws {
        let app = try await TestApplication()
        let ping = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
        let session = try await app.initialize()
        #expect(await app.post(ping, session: session, headers: [("Origin", "http://evil.example.com")]).status == 403)
        #expect(await app.post(ping, session: session, headers: [("Host", "evil.example.com")]).status == 403)
        #expect(await app.post(ping, session: session, headers: [("Origin", "http://127.0.0.1:8080")]).status == 200)
        #expect(await app.post(ping, session: session, headers: [("Origin", "http://localhost:3000")]).status == 200)
        #expect(await app.post(ping, session: session, headers: [("Host", "[::1]:8080")]).status == 200)
        #expect(await app.post(ping, session: session, headers: [("Host", "localhost")]).status == 200)
    }

    @Test func getNeedsEventStreamAcceptAndASession() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        var headers = TestApplication.jsonHeaders
        headers.set("Accept", "application/json")
        headers.set("Mcp-Session-Id", session)
        #expect(await app.send(HTTPRequest(method: "GET", target: "/mcp", headers: headers)).status == 406)
        headers.set("Accept", "text/event-stream")
        headers.remove("Mcp-Session-Id")
        #expect(await app.send(HTTPRequest(method: "GET", target: "/mcp", headers: headers)).status == 400)
        let stream = try await app.openEventStream(session: session)
        #expect(stream.closeReason == nil)
    }
}
