import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Testing

/// With authentication, a task belongs to its principal (and team): everyone else sees an unknown id.
@Suite(.shutsDownApplications) struct AuthVisibilityTests {
    @Test func aForeignTaskIsAnUnknownTaskOverMCP() async throws {
        let harness = try await AuthHarness.started()
        let alice = try await harness.initialize(as: "alice")
        let bob = try await harness.initialize(as: "bob")
        let id = try await harness.taskID(session: alice, as: "alice")
        for method in ["tasks/get", "tasks/result", "tasks/cancel"] {
            let foreign = try await harness.rpc(method, ["taskId": .string(id)], session: bob, as: "bob")
            let unknown = try await harness.rpc(
                method, ["taskId": "00000000-0000-4000-8000-000000000000"], session: bob, as: "bob")
            #expect(foreign["error"]?["code"] == -32602, "\(method)")
            #expect(foreign["error"] == unknown["error"], "\(method)")
        }
        let list = try await harness.rpc("tasks/list", [:], session: bob, as: "bob")
        #expect(list["result"]?["tasks"]?.arrayValue?.isEmpty == true)
        // The owner still sees it, running.
        let own = try await harness.rpc("tasks/get", ["taskId": .string(id)], session: alice, as: "alice")
        #expect(own["result"]?["status"] == "working")
    }

    /// Only principals who may see a task may answer its question: to anyone else it is an unknown task.
    @Test func aForeignTaskCannotBeAnswered() async throws {
        let harness = try await AuthHarness.started()
        let alice = try await harness.initialize(as: "alice")
        let id = try await harness.taskID(session: alice, as: "alice")
        let answer = #"{"action":"accept","content":{}}"#
        let foreign = await harness.send("POST", "/api/tasks/\(id)/input", as: "bob", body: answer)
        #expect(foreign.status == 404)
        let teammate = await harness.send("POST", "/api/tasks/\(id)/input", as: "carol", body: answer)
        #expect(teammate.status == 409)  // visible to her team, but it is not waiting for input
        let nobody = await harness.send("POST", "/api/tasks/\(id)/input", as: nil, body: answer)
        #expect(nobody.status == 401)
        _ = try await harness.rpc("tasks/cancel", ["taskId": .string(id)], session: alice, as: "alice")
    }

    @Test func askingAboutAForeignTaskDoesNotSubscribeToItsStatus() async throws {
        let harness = try await AuthHarness.started()
        let alice = try await harness.initialize(as: "alice")
        let bob = try await harness.initialize(as: "bob")
        let id = try await harness.taskID(session: alice, as: "alice")
        let stream = try #require(
            await harness.send(
                "GET", "/mcp", as: "bob", headers: [("Mcp-Session-Id", bob), ("Accept", "text/event-stream")]
            ).stream)
        for method in ["tasks/get", "tasks/result"] {
            let refused = try await harness.rpc(method, ["taskId": .string(id)], session: bob, as: "bob")
            #expect(refused["error"]?["code"] == -32602)
        }
        _ = try await harness.rpc("tasks/cancel", ["taskId": .string(id)], session: alice, as: "alice")
        #expect(await RESTEventTests.next(stream, timeout: .milliseconds(300)) == nil)
    }

    @Test func teammatesShareTasksAcrossSessionsAndRoutes() async throws {
        let harness = try await AuthHarness.started()
        let alice = try await harness.initialize(as: "alice")
        let carol = try await harness.initialize(as: "carol")
        let id = try await harness.taskID(session: alice, as: "alice")
        let got = try await harness.rpc("tasks/get", ["taskId": .string(id)], session: carol, as: "carol")
        #expect(got["result"]?["taskId"]?.stringValue == id)
        let list = try await harness.rpc("tasks/list", [:], session: carol, as: "carol")
        #expect(list["result"]?["tasks"]?.arrayValue?.map { $0["taskId"]?.stringValue } == [id])
        #expect(await harness.send("GET", "/api/tasks/\(id)", as: "carol").status == 200)
        // A second session of alice's sees it too.
        let again = try await harness.initialize(as: "alice")
        let mine = try await harness.rpc("tasks/list", [:], session: again, as: "alice")
        #expect(mine["result"]?["tasks"]?.arrayValue?.count == 1)
        let cancelled = try await harness.rpc("tasks/cancel", ["taskId": .string(id)], session: carol, as: "carol")
        #expect(cancelled["result"]?["status"] == "cancelled")
    }

    @Test func aForeignTaskIsAnUnknownTaskOverREST() async throws {
        let harness = try await AuthHarness.started()
        let created = await harness.send(
            "POST", "/api/tools/sleep/call?task=true", as: "alice", body: #"{"seconds": 30}"#)
        #expect(created.status == 202)
        let id = created.taskID
        let missing = "00000000-0000-4000-8000-000000000000"
        for (method, suffix) in [("GET", ""), ("GET", "/result"), ("POST", "/cancel"), ("DELETE", "")] {
            let foreign = await harness.send(method, "/api/tasks/\(id)\(suffix)", as: "bob")
            let unknown = await harness.send(method, "/api/tasks/\(missing)\(suffix)", as: "bob")
            #expect(foreign.status == 404, "\(method) \(suffix)")
            #expect(foreign.status == unknown.status, "\(method) \(suffix)")
            #expect(
                foreign.json["detail"]?.stringValue?.replacingOccurrences(id, missing)
                    == unknown.json["detail"]?.stringValue, "\(method) \(suffix)")
        }
        #expect(await harness.send("GET", "/api/tasks", as: "bob").json["tasks"]?.arrayValue?.isEmpty == true)
        #expect(await harness.send("GET", "/api/tasks", as: "carol").json["tasks"]?.arrayValue?.count == 1)
        #expect(await harness.send("GET", "/api/tasks/\(id)", as: "alice").status == 200)
    }

    @Test func theEventStreamCarriesOnlyVisibleTasks() async throws {
        let harness = try await AuthHarness.started()
        let bobStream = try #require(await harness.send("GET", "/api/events", as: "bob").stream)
        let carolStream = try #require(await harness.send("GET", "/api/events", as: "carol").stream)
        _ = await RESTEventTests.next(bobStream)
        _ = await RESTEventTests.next(carolStream)
        let alices = await harness.send(
            "POST", "/api/tools/sleep/call?task=true", as: "alice", body: #"{"seconds": 0}"#)
        let bobs = await harness.send("POST", "/api/tools/sleep/call?task=true", as: "bob", body: #"{"seconds": 0}"#)
        let carolSaw = await RESTEventTests.events(carolStream, until: "completed")
        #expect(!carolSaw.isEmpty)
        #expect(carolSaw.allSatisfy { $0["task"]?["id"]?.stringValue == alices.taskID })
        let bobSaw = await RESTEventTests.events(bobStream, until: "completed")
        #expect(!bobSaw.isEmpty)
        #expect(bobSaw.allSatisfy { $0["task"]?["id"]?.stringValue == bobs.taskID })
        // Filtering by a foreign task id shows nothing either.
        let peek = try #require(await harness.send("GET", "/api/events?task=\(alices.taskID)", as: "bob").stream)
        _ = await RESTEventTests.next(peek)
        _ = await harness.send("DELETE", "/api/tasks/\(alices.taskID)", as: "alice")
        #expect(await RESTEventTests.next(peek, timeout: .milliseconds(300)) == nil)
        bobStream.cancel()
        carolStream.cancel()
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
