import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Testing

/// `POST /api/tools/{name}/call`: synchronous calls, task starts, and every refusal.
@Suite(.shutsDownApplications) struct RESTCallTests {
    @Test func plainCallAnswersTheCallToolResult() async throws {
        let app = try await RESTHarness.started()
        let response = await app.send("POST", "/api/tools/echo/call", body: #"{"text": "hi"}"#)
        #expect(response.status == 200)
        #expect(response.json["isError"] == false)
        #expect(response.json["content"]?.arrayValue?.first?["text"] == "hi")
    }

    @Test func emptyBodyMeansNoArguments() async throws {
        let app = try await RESTHarness.started()
        let response = await app.send("POST", "/api/tools/echo/call")
        #expect(response.status == 200)
        #expect(response.json["content"]?.arrayValue?.first?["text"] == "")
    }

    @Test func toolErrorsAreResultsNotProblems() async throws {
        let app = try await RESTHarness.started()
        let response = await app.send("POST", "/api/tools/fail/call")
        #expect(response.status == 200)
        #expect(response.json["isError"] == true)
    }

    @Test func taskCallAnswers202WithLocation() async throws {
        let app = try await RESTHarness.started()
        let response = await app.send("POST", "/api/tools/sleep/call?task=true&ttl=600000", body: #"{"seconds": 0}"#)
        #expect(response.status == 202)
        let id = try #require(response.json["id"]?.stringValue)
        #expect(response.headers["Location"] == "/api/tasks/\(id)")
        #expect(response.json["tool"] == "sleep")
        #expect(response.json["kind"] == "tools/call")
        #expect(response.json["arguments"]?["seconds"] == 0)
        #expect(response.json["links"]?["result"]?.stringValue == "/api/tasks/\(id)/result")
        #expect(response.json["ttlMs"]?.intValue != nil)
        #expect(response.json["createdAt"]?.stringValue?.hasSuffix("Z") == true)
    }

    @Test func preferRespondAsyncStartsATask() async throws {
        let app = try await RESTHarness.started()
        let response = await app.send(
            "POST", "/api/tools/sleep/call", body: #"{"seconds": 0}"#, headers: ["Prefer": "respond-async, wait=5"])
        #expect(response.status == 202)
        #expect(response.headers["Preference-Applied"] == "respond-async")
    }

    @Test func unknownToolIs404() async throws {
        let app = try await RESTHarness.started()
        let response = await app.send("POST", "/api/tools/nope/call?task=true")
        #expect(response.status == 404)
    }

    @Test(arguments: ["[1, 2]", "\"text\"", "not json", "{\"a\":"])
    func bodyMustBeAJSONObject(_ body: String) async throws {
        let app = try await RESTHarness.started()
        let response = await app.send("POST", "/api/tools/echo/call", body: body)
        #expect(response.status == 400)
        #expect(response.json["detail"]?.stringValue?.contains("JSON object") == true)
    }

    @Test func badQueryParametersAre400() async throws {
        let app = try await RESTHarness.started()
        #expect(await app.send("POST", "/api/tools/sleep/call?task=maybe").status == 400)
        #expect(await app.send("POST", "/api/tools/sleep/call?task=true&ttl=-1").status == 400)
        #expect(await app.send("POST", "/api/tools/sleep/call?task=true&priority=high").status == 400)
    }

    @Test func taskModeConflictsAre409() async throws {
        let app = try await RESTHarness.started()
        let required = await app.send("POST", "/api/tools/must_task/call")
        #expect(required.status == 409)
        #expect(required.json["detail"]?.stringValue?.contains("runs only as a task: add ?task=true") == true)
        let forbidden = await app.send("POST", "/api/tools/echo/call?task=true", body: #"{"text": "x"}"#)
        #expect(forbidden.status == 409)
        #expect(await app.send("POST", "/api/tools/must_task/call?task=true").status == 202)
    }

    @Test func schemaInvalidArgumentsAre422WithEveryProblem() async throws {
        let app = try await RESTHarness.started()
        let missing = await app.send("POST", "/api/tools/sleep/call?task=true", body: "{}")
        #expect(missing.status == 422)
        #expect(missing.json["problems"]?.arrayValue?.count == 1)
        let wrongType = await app.send("POST", "/api/tools/sleep/call", body: #"{"seconds": "soon"}"#)
        #expect(wrongType.status == 422)
        #expect(wrongType.json["detail"]?.stringValue?.contains("seconds: expected number") == true)
    }

    @Test func quotaIs429WithRetryAfter() async throws {
        let app = try await RESTHarness.started { $0.engine.maxActiveTasksPerOwner = 1 }
        let first = await app.send("POST", "/api/tools/sleep/call?task=true", body: #"{"seconds": 30}"#)
        #expect(first.status == 202)
        let second = await app.send("POST", "/api/tools/sleep/call?task=true", body: #"{"seconds": 30}"#)
        #expect(second.status == 429)
        #expect(Int(second.headers["Retry-After"] ?? "") ?? 0 >= 1)
        _ = await app.send("POST", "/api/tasks/\(first.taskID)/cancel")
    }

    @Test func secretArgumentsAreRedacted() async throws {
        let app = try await RESTHarness.started()
        let response = await app.send(
            "POST", "/api/tools/login/call?task=true", body: #"{"user": "ada", "token": "s3cret"}"#)
        #expect(response.json["arguments"]?["token"] == "***")
        #expect(response.json["arguments"]?["user"] == "ada")
        #expect(!response.text.contains("s3cret"))
        let listed = await app.send("GET", "/api/tasks?tool=login")
        #expect(!listed.text.contains("s3cret"))
    }
}
