import ErrandHTTP
import ErrandProtocol
import Testing

@testable import Errand

/// Task-augmented requests and the tasks/* methods (docs/mcp-protocol.md §5–6, checklist 40–71).
@Suite(.shutsDownApplications) struct TaskMethodTests {
    func createTask(_ app: TestApplication, session: String, tool: String, arguments: JSONValue, task: JSONValue = [:])
        async throws -> JSONValue
    {
        let response = try await app.call(
            "tools/call", ["name": .string(tool), "arguments": arguments, "task": task], session: session)
        return try #require(response["result"]?["task"], "no task in \(response)")
    }

    @Test func decisionTableOfTaskSupport() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let required = try await app.call("tools/call", ["name": "must_be_background"], session: session)
        #expect(required["error"]?["code"] == .int(-32601))
        let forbidden = try await app.call("tools/call", ["name": "sync_only", "task": [:]], session: session)
        #expect(forbidden["error"]?["code"] == .int(-32601))
        let plain = try await app.call(
            "tools/call", ["name": "echo", "arguments": ["text": "x"], "task": [:]], session: session)
        #expect(plain["error"]?["code"] == .int(-32601))
        // A session without the Tasks revision ignores `task` and runs normally.
        let old = try await app.initialize(version: "2025-06-18")
        let ignored = try await app.call(
            "tools/call", ["name": "sleep", "arguments": ["seconds": 0], "task": [:]], session: old)
        #expect(ignored["result"]?["content"]?[0]?["text"] == "slept 0")
        let listed = try await app.call("tasks/list", session: old)
        #expect(listed["error"]?["code"] == .int(-32601))
    }

    @Test func createTaskReturnsAWorkingTaskAtOnce() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let task = try await createTask(
            app, session: session, tool: "sleep", arguments: ["seconds": 5], task: ["ttl": 60000])
        #expect(task["status"] == "working")
        #expect(task["ttl"] == .int(60000))
        #expect(task["pollInterval"]?.intValue != nil)
        let id = try #require(task["taskId"]?.stringValue)
        #expect(id.count == 36)
        let created = try #require(task["createdAt"]?.stringValue)
        #expect(created.hasSuffix("Z") && created.count == 24)
        #expect(task["lastUpdatedAt"] == task["createdAt"])
        let unlimited = try await createTask(app, session: session, tool: "sleep", arguments: ["seconds": 0])
        #expect(unlimited["ttl"]?.intValue != nil)  // server default, always present
        let huge = try await createTask(
            app, session: session, tool: "sleep", arguments: ["seconds": 0], task: ["ttl": 999_999_999_999])
        #expect(huge["ttl"] == .int(7 * 86_400_000))
    }

    @Test func resultBlocksUntilDoneAndCarriesRelatedTask() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let task = try await createTask(app, session: session, tool: "sleep", arguments: ["seconds": 0.2])
        let id = try #require(task["taskId"])
        let result = try await app.call("tasks/result", ["taskId": id], session: session)
        #expect(result["result"]?["content"]?[0]?["text"] == "slept 0.2")
        #expect(result["result"]?["_meta"]?["io.modelcontextprotocol/related-task"]?["taskId"] == id)
        let got = try await app.call("tasks/get", ["taskId": id], session: session)
        #expect(got["result"]?["status"] == "completed")
        #expect(got["result"]?["_meta"] == nil)
    }

    @Test func failedToolTaskReproducesTheErrorResult() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let task = try await createTask(app, session: session, tool: "fail", arguments: ["message": "kaboom"])
        let id = try #require(task["taskId"])
        let result = try await app.call("tasks/result", ["taskId": id], session: session)
        #expect(result["result"]?["isError"] == true)
        #expect(result["result"]?["content"]?[0]?["text"] == "kaboom")
        let got = try await app.call("tasks/get", ["taskId": id], session: session)
        #expect(got["result"]?["status"] == "failed")
        #expect(got["result"]?["statusMessage"] == "kaboom")
    }

    @Test func cancelRules() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let task = try await createTask(app, session: session, tool: "sleep", arguments: ["seconds": 30])
        let id = try #require(task["taskId"])
        let waiter = Task { try await app.call("tasks/result", ["taskId": id], id: 9, session: session) }
        let cancelled = try await app.call("tasks/cancel", ["taskId": id], session: session)
        #expect(cancelled["result"]?["status"] == "cancelled")
        let released = try await waiter.value
        #expect(released["error"]?["code"] == .int(-32602))
        #expect(released["error"]?["data"]?["status"] == "cancelled")
        let again = try await app.call("tasks/cancel", ["taskId": id], session: session)
        #expect(again["error"]?["code"] == .int(-32602))
        #expect(again["error"]?["message"]?.stringValue?.contains("terminal") == true)
        let got = try await app.call("tasks/get", ["taskId": id], session: session)
        #expect(got["result"]?["status"] == "cancelled")
    }

    @Test func unknownTaskIdsAreInvalidParams() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        for method in ["tasks/get", "tasks/result", "tasks/cancel"] {
            let response = try await app.call(method, ["taskId": "no-such-task"], session: session)
            #expect(response["error"]?["code"] == .int(-32602), "\(method)")
            let missing = try await app.call(method, [:], session: session)
            #expect(missing["error"]?["code"] == .int(-32602), "\(method) without taskId")
        }
    }

    @Test func listIsScopedToTheSessionAndPaginates() async throws {
        let app = try await TestApplication { $0.mcp.taskListPageSize = 2 }
        let mine = try await app.initialize()
        let theirs = try await app.initialize()
        var ids: Set<JSONValue> = []
        for _ in 0..<3 {
            let task = try await createTask(app, session: mine, tool: "sleep", arguments: ["seconds": 0])
            ids.insert(try #require(task["taskId"]))
        }
        _ = try await createTask(app, session: theirs, tool: "sleep", arguments: ["seconds": 0])
        let first = try await app.call("tasks/list", session: mine)
        #expect(first["result"]?["tasks"]?.arrayValue?.count == 2)
        let cursor = try #require(first["result"]?["nextCursor"])
        let second = try await app.call("tasks/list", ["cursor": cursor], session: mine)
        #expect(second["result"]?["tasks"]?.arrayValue?.count == 1)
        #expect(second["result"]?["nextCursor"] == nil)
        let listed = Set(
            (first["result"]?["tasks"]?.arrayValue ?? []) + (second["result"]?["tasks"]?.arrayValue ?? [])
        ).map { $0["taskId"]! }
        #expect(Set(listed) == ids)
        let bad = try await app.call("tasks/list", ["cursor": "garbage!"], session: mine)
        #expect(bad["error"]?["code"] == .int(-32602))
        let empty = try await app.call("tasks/list", [:], session: mine)
        #expect(empty["result"]?["tasks"] != nil)
    }

    @Test func anotherSessionFetchesTheResultById() async throws {
        let app = try await TestApplication()
        let laptop = try await app.initialize()
        let task = try await createTask(app, session: laptop, tool: "sleep", arguments: ["seconds": 0.1])
        let id = try #require(task["taskId"])
        var headers = TestApplication.jsonHeaders
        headers.set("Mcp-Session-Id", laptop)
        _ = await app.send(HTTPRequest(method: "DELETE", target: "/mcp", headers: headers))
        let phone = try await app.initialize()
        let result = try await app.call("tasks/result", ["taskId": id], session: phone)
        #expect(result["result"]?["content"]?[0]?["text"] == "slept 0.1")
    }

    @Test func statusNotificationsReachTheGetStream() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let stream = try await app.openEventStream(session: session)
        let task = try await createTask(app, session: session, tool: "slow_computation", arguments: ["duration": 1])
        let id = try #require(task["taskId"])
        let progress = try await TestApplication.nextMessage(on: stream, method: "notifications/tasks/status") {
            $0["params"]?["statusMessage"] == "step 1/1"
        }
        #expect(progress["params"]?["taskId"] == id)
        #expect(progress["params"]?["_meta"] == nil)
        let done = try await TestApplication.nextMessage(on: stream, method: "notifications/tasks/status") {
            $0["params"]?["status"] == "completed"
        }
        #expect(done["params"]?["taskId"] == id)
        #expect(done["params"]?["ttl"]?.intValue != nil)
    }

    @Test func progressTokenOfATaskCallReachesTheGetStream() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let stream = try await app.openEventStream(session: session)
        let response = try await app.call(
            "tools/call",
            [
                "name": "run_tests", "arguments": ["tests": 2, "test_ms": 1], "task": [:],
                "_meta": ["progressToken": 41],
            ], session: session)
        let id = try #require(response["result"]?["task"]?["taskId"])
        let progress = try await TestApplication.nextMessage(on: stream, method: "notifications/progress")
        #expect(progress["params"]?["progressToken"] == .int(41))
        #expect(progress["params"]?["_meta"]?["io.modelcontextprotocol/related-task"]?["taskId"] == id)
    }

    @Test func resourcesAndPromptsRunAsTasks() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let read = try await app.call(
            "resources/read", ["uri": "errand://reports/weekly", "task": ["ttl": 60000]], session: session)
        let readID = try #require(read["result"]?["task"]?["taskId"])
        let contents = try await app.call("tasks/result", ["taskId": readID], session: session)
        #expect(contents["result"]?["contents"]?[0]?["uri"] == "errand://reports/weekly")
        let prompt = try await app.call(
            "prompts/get", ["name": "research_brief", "arguments": ["topic": "tides"], "task": [:]], session: session)
        let promptID = try #require(prompt["result"]?["task"]?["taskId"])
        let messages = try await app.call("tasks/result", ["taskId": promptID], session: session)
        #expect(messages["result"]?["messages"]?[0]?["role"] == "user")
    }

    @Test func elicitationRoundTripMovesThroughInputRequired() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize(capabilities: ["elicitation": [:]])
        let stream = try await app.openEventStream(session: session)
        let task = try await createTask(
            app, session: session, tool: "approve_deployment", arguments: ["service": "api"])
        let id = try #require(task["taskId"])
        let request = try await TestApplication.nextMessage(on: stream, method: "elicitation/create")
        #expect(request["params"]?["_meta"]?["io.modelcontextprotocol/related-task"]?["taskId"] == id)
        let waiting = try await app.call("tasks/get", ["taskId": id], session: session)
        #expect(waiting["result"]?["status"] == "input_required")
        let answer = await app.post(
            ["jsonrpc": "2.0", "id": request["id"]!, "result": ["action": "accept", "content": ["approve": true]]],
            session: session)
        #expect(answer.status == 202)
        let result = try await app.call("tasks/result", ["taskId": id], session: session)
        #expect(result["result"]?["content"]?[0]?["text"] == "deployed api")
    }

    /// A client that cannot be asked leaves the question open with the task: REST (or the dashboard) answers it.
    @Test func aQuestionNoClientCanAnswerWaitsAndIsAnsweredOverREST() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()  // declares no elicitation
        let task = try await createTask(
            app, session: session, tool: "approve_deployment", arguments: ["service": "api"])
        let id = try #require(task["taskId"]?.stringValue)
        let waiting = try await app.restTask(id, until: { $0["status"] == "input_required" })
        #expect(waiting["inputRequest"]?["message"] == "Deploy api to production?")
        #expect(waiting["inputRequest"]?["requestedSchema"]?["required"] == ["approve"])
        let answered = await app.rest(
            "POST", "/api/tasks/\(id)/input", #"{"action":"accept","content":{"approve":true}}"#)
        #expect(answered.status == 200)
        let result = try await app.call("tasks/result", ["taskId": .string(id)], session: session)
        #expect(result["result"]?["content"]?[0]?["text"] == "deployed api")
        let history = await app.rest("GET", "/api/tasks/\(id)").bodyJSON?["history"]?.arrayValue ?? []
        #expect(history.contains { $0["message"] == "input answered by anonymous (accept)" })
        await app.app.shutdown()
    }

    @Test func anUnansweredElicitationIsSentAgainWhenTheGetStreamReopens() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize(capabilities: ["elicitation": [:]])
        let first = try await app.openEventStream(session: session)
        let task = try await createTask(app, session: session, tool: "approve_deployment", arguments: ["service": "x"])
        let id = try #require(task["taskId"])
        let asked = try await TestApplication.nextMessage(on: first, method: "elicitation/create")
        first.cancel()  // the connection dropped before the client answered
        let second = try await app.openEventStream(session: session)
        let again = try await TestApplication.nextMessage(on: second, method: "elicitation/create")
        #expect(again["id"] == asked["id"])
        let answer = await app.post(
            ["jsonrpc": "2.0", "id": again["id"]!, "result": ["action": "accept", "content": ["approve": true]]],
            session: session)
        #expect(answer.status == 202)
        let result = try await app.call("tasks/result", ["taskId": id], session: session)
        #expect(result["result"]?["content"]?[0]?["text"] == "deployed x")
    }

    @Test func onlyTheAskedSessionCanAnswerAnElicitation() async throws {
        let app = try await TestApplication()
        let owner = try await app.initialize(capabilities: ["elicitation": [:]])
        let stream = try await app.openEventStream(session: owner)
        let task = try await createTask(app, session: owner, tool: "approve_deployment", arguments: ["service": "y"])
        let id = try #require(task["taskId"])
        let asked = try await TestApplication.nextMessage(on: stream, method: "elicitation/create")
        let intruder = try await app.initialize(capabilities: ["elicitation": [:]])
        _ = await app.post(
            ["jsonrpc": "2.0", "id": asked["id"]!, "result": ["action": "accept", "content": ["approve": true]]],
            session: intruder)
        // The POST returns after the answer was handled: ignored, the question is still open for the owner.
        #expect(app.app.mcp.notifier.pendingInputCount == 1)
        let still = try await app.call("tasks/get", ["taskId": id], session: owner)
        #expect(still["result"]?["status"] == "input_required")
        _ = await app.post(["jsonrpc": "2.0", "id": asked["id"]!, "result": ["action": "decline"]], session: owner)
        let result = try await app.call("tasks/result", ["taskId": id], session: owner)
        #expect(result["result"]?["content"]?[0]?["text"] == "deployment of y not approved")
    }

    /// Two devices answer at once: exactly one answer wins, the other gets 409, and the result is the winner's.
    @Test func twoConcurrentAnswersOneWins() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let task = try await createTask(app, session: session, tool: "approve_deployment", arguments: ["service": "q"])
        let id = try #require(task["taskId"]?.stringValue)
        _ = try await app.restTask(id, until: { $0["status"] == "input_required" })
        async let accept = app.rest(
            "POST", "/api/tasks/\(id)/input", #"{"action":"accept","content":{"approve":true}}"#)
        async let decline = app.rest("POST", "/api/tasks/\(id)/input", #"{"action":"decline"}"#)
        let (accepted, declined) = await (accept, decline)
        #expect([accepted.status, declined.status].sorted() == [200, 409])
        let result = try await app.call("tasks/result", ["taskId": .string(id)], session: session)
        let text = result["result"]?["content"]?[0]?["text"]?.stringValue
        #expect(text == (accepted.status == 200 ? "deployed q" : "deployment of q not approved"))
        await app.app.shutdown()
    }

    /// The session that was asked ends: the question stays open; the first answer over REST wins, a second gets 409,
    /// an answer that does not match the question gets 400 and changes nothing.
    @Test func aQuestionOutlivesTheSessionThatWasAsked() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize(capabilities: ["elicitation": [:]])
        let stream = try await app.openEventStream(session: session)
        let task = try await createTask(app, session: session, tool: "approve_deployment", arguments: ["service": "z"])
        let id = try #require(task["taskId"]?.stringValue)
        _ = try await TestApplication.nextMessage(on: stream, method: "elicitation/create")
        var headers = TestApplication.jsonHeaders
        headers.set("Mcp-Session-Id", session)
        _ = await app.send(HTTPRequest(method: "DELETE", target: "/mcp", headers: headers))
        let wrongType = await app.rest(
            "POST", "/api/tasks/\(id)/input", #"{"action":"accept","content":{"approve":"yes"}}"#)
        #expect(wrongType.status == 400)
        #expect(wrongType.bodyJSON?["detail"]?.stringValue?.contains("approve") == true)
        let unknownAction = await app.rest("POST", "/api/tasks/\(id)/input", #"{"action":"maybe"}"#)
        #expect(unknownAction.status == 400)
        #expect(try await app.restTask(id, until: { _ in true })["status"] == "input_required")
        let declined = await app.rest("POST", "/api/tasks/\(id)/input", #"{"action":"decline"}"#)
        #expect(declined.status == 200)
        let late = await app.rest("POST", "/api/tasks/\(id)/input", #"{"action":"accept","content":{"approve":true}}"#)
        #expect(late.status == 409)
        let other = try await app.initialize()
        let result = try await app.call("tasks/result", ["taskId": .string(id)], session: other)
        #expect(result["result"]?["content"]?[0]?["text"] == "deployment of z not approved")
        await app.app.shutdown()
    }
}

extension TestApplication {
    /// A REST request to the application.
    func rest(_ method: String, _ target: String, _ body: String = "") async -> HTTPResponse {
        var headers: HTTPHeaders = ["Host": "127.0.0.1:8080"]
        if !body.isEmpty { headers.set("Content-Type", "application/json") }
        return await send(HTTPRequest(method: method, target: target, headers: headers, body: Array(body.utf8)))
    }

    /// `GET /api/tasks/{id}` until `condition` holds (polled for up to five seconds).
    func restTask(_ id: String, until condition: (JSONValue) -> Bool) async throws -> JSONValue {
        for _ in 0..<5000 {
            if let task = await rest("GET", "/api/tasks/\(id)").bodyJSON, condition(task) { return task }
            try await Task.sleep(for: .milliseconds(1))
        }
        throw TestFailure("task \(id) never reached the expected state")
    }
}
