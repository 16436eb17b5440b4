import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Testing

/// Tokens and secret arguments stay out of stored tasks and views; the tokens file reloads.
@Suite(.shutsDownApplications) struct AuthSecretsTests {
    @Test func noBearerTokenIsStoredWithATask() async throws {
        let harness = try await AuthHarness.started()
        let token = AuthHarness.tokens["alice"]!
        let session = try await harness.initialize(as: "alice")
        let response = try await harness.startTask(
            session: session, as: "alice",
            meta: ["progressToken": "p1", "authorization": .string("Bearer \(token)"), "token": .string(token)],
            arguments: ["seconds": 0, "note": .string("my token is \(token)")])
        let id = try #require(response["result"]?["task"]?["taskId"]?.stringValue)
        let stored = try #require(try await harness.store.task(TaskID(id)))
        #expect(stored.requestMeta == ["progressToken": "p1"])
        #expect(!"\(stored)".contains(token))
        #expect(!JSONWriter.string(stored.arguments).contains(token))
        #expect(stored.arguments["seconds"] == 0)

        let rest = await harness.send(
            "POST", "/api/tools/sleep/call?task=true", as: "alice", body: #"{"seconds": 0, "note": "\#(token)"}"#)
        let restStored = try #require(try await harness.store.task(TaskID(rest.taskID)))
        #expect(!"\(restStored)".contains(token))
    }

    @Test func restAndEventViewsRedactSecretArguments() async throws {
        let harness = try await AuthHarness.started()
        let stream = try #require(await harness.send("GET", "/api/events", as: "alice").stream)
        _ = await RESTEventTests.next(stream)
        let created = await harness.send(
            "POST", "/api/tools/login/call?task=true", as: "alice", body: #"{"user": "al", "token": "s3cret"}"#)
        #expect(created.json["arguments"]?["token"] == "***")
        #expect(created.json["arguments"]?["user"] == "al")
        let fetched = await harness.send("GET", "/api/tasks/\(created.taskID)", as: "alice")
        #expect(fetched.json["arguments"]?["token"] == "***")
        let listed = await harness.send("GET", "/api/tasks", as: "alice")
        #expect(!listed.text.contains("s3cret"))
        let events = await RESTEventTests.events(stream, until: "completed")
        #expect(!events.isEmpty && events.allSatisfy { $0["task"]?["arguments"]?["token"] == "***" })
        stream.cancel()
        // MCP never echoes arguments.
        let session = try await harness.initialize(as: "alice")
        let got = try await harness.rpc("tasks/get", ["taskId": .string(created.taskID)], session: session, as: "alice")
        #expect(got["result"]?["taskId"] != nil)
        #expect(!JSONWriter.string(got).contains("s3cret"))
    }

    @Test func theTokensFileReloadsAndABrokenOneKeepsThePreviousPrincipals() async throws {
        let harness = try await AuthHarness.started()
        let dave = "dave-token-0123456789"
        #expect(await harness.send("GET", "/api/tasks", as: dave).status == 401)
        try AuthHarness.write(
            #"{"principals": [{"name": "dave", "tokens": ["\#(AccessToken.hash(dave))"]}]}"#, to: harness.tokensPath)
        #expect(harness.app.reloadAuthentication())
        #expect(await harness.send("GET", "/api/tasks", as: dave).status == 200)
        #expect(await harness.send("GET", "/api/tasks", as: "alice").status == 401)  // revoked

        try AuthHarness.write(#"{"principals": [{"name": "eve", "tokens": ["plaintext"]}]}"#, to: harness.tokensPath)
        #expect(!harness.app.reloadAuthentication())
        #expect(await harness.send("GET", "/api/tasks", as: dave).status == 200)
    }

    @Test func theTokensFileIsPolledForChanges() async throws {
        let harness = try await AuthHarness.started { $0.authReloadInterval = .milliseconds(20) }
        let dave = "dave-token-0123456789"
        try AuthHarness.write(
            #"{"principals": [{"name": "dave", "tokens": ["\#(AccessToken.hash(dave))"]}]}"#, to: harness.tokensPath)
        var status = 0
        for _ in 0..<200 where status != 200 {
            try await Task.sleep(for: .milliseconds(10))
            status = await harness.send("GET", "/api/tasks", as: dave).status
        }
        #expect(status == 200)
    }
}
