import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import ErrandTestSupport
import Testing

/// Typed arguments, tools only some principals see, child tasks, and a catalog replaced while serving.
@Suite(.shutsDownApplications) struct ToolSourceTests {
    @Test func typedArgumentsDecodeAndABadValueIsRefusedNamingTheField() async throws {
        let tools = ToolSourceCatalog()
        let app = try await TestApplication(catalog: tools.catalog)
        let session = try await app.initialize()
        let plain = try await app.call(
            "tools/call", ["name": "scale", "arguments": ["factor": 2, "label": "twice"]], session: session)
        #expect(plain["result"]?["content"]?[0]?["text"] == "twice: 42 (attempt 0)")
        // A task is never created for arguments that cannot run: -32602 names the field.
        let badTask = try await app.call(
            "tools/call", ["name": "scale", "arguments": ["factor": "two"], "task": [:]], id: 2, session: session)
        #expect(badTask["error"]?["code"] == -32602)
        #expect(badTask["error"]?["message"]?.stringValue?.contains("factor") == true)
        // A plain call reports it as a tool error (SEP-1303).
        let badPlain = try await app.call(
            "tools/call", ["name": "scale", "arguments": ["factor": 2, "label": 7]], id: 3, session: session)
        #expect(badPlain["result"]?["isError"] == true)
        #expect(badPlain["result"]?["content"]?[0]?["text"]?.stringValue?.contains("label") == true)
        await app.app.shutdown()
    }

    @Test func aDecodingFailureNamesTheNestedPath() {
        struct Inner: Decodable { var name: String }
        struct Outer: Decodable { var files: [Inner] }
        #expect(throws: JSONValueDecodingError(path: "files[1].name", reason: "must be a string, got integer")) {
            _ = try JSONValueDecoder().decode(Outer.self, from: ["files": [["name": "a"], ["name": 3]]])
        }
        #expect(throws: JSONValueDecodingError(path: "files[0].name", reason: "is required")) {
            _ = try JSONValueDecoder().decode(Outer.self, from: ["files": [[:]]])
        }
        #expect(throws: JSONValueDecodingError.self) { _ = try JSONValueDecoder().decode(UInt8.self, from: 300) }
        #expect((try? JSONValueDecoder().decode([Int].self, from: [1, 2.0, 3])) == [1, 2, 3])
    }

    @Test func aToolNamingItsPrincipalsIsInvisibleToOthers() async throws {
        let tools = ToolSourceCatalog()
        let catalog = tools.catalog
        let ops = try #require(catalog.tool(named: "ops_only"))
        #expect(catalog.isVisible(ops, to: TaskOwner(principal: "alice", team: "ops")))
        #expect(catalog.isVisible(ops, to: TaskOwner(principal: "ops")))
        #expect(!catalog.isVisible(ops, to: TaskOwner(principal: "bob", team: "dev")))
        #expect(catalog.isVisible(ops, to: .anonymous))  // no authentication: no principals to tell apart
        #expect(catalog.tools(visibleTo: TaskOwner(principal: "bob")).contains { $0.name == "ops_only" } == false)
        #expect(catalog.tool(named: "ops_only", visibleTo: TaskOwner(principal: "bob")) == nil)
    }

    @Test func aTaskStartsChildTasksLinkedToItAndAwaitsThem() async throws {
        let tools = ToolSourceCatalog()
        let app = try await RESTHarness.started(catalog: tools.catalog)
        let id = await app.start("fan_out")
        let result = await app.result(id)
        #expect(result["status"] == "completed")
        #expect(result["result"]?["content"]?[0]?["text"] == "result: 21 (attempt 1); result: 42 (attempt 1)")
        let listed = await app.send("GET", "/api/tasks?tool=scale").json["tasks"]?.arrayValue ?? []
        #expect(listed.count == 2)
        #expect(listed.allSatisfy { $0["parentTaskId"]?.stringValue == id && $0["status"] == "completed" })
        let children = await app.send("GET", "/api/tasks?parent=\(id)").json["tasks"]?.arrayValue ?? []
        #expect(Set(children.compactMap { $0["id"]?.stringValue }) == Set(listed.compactMap { $0["id"]?.stringValue }))
        #expect(
            await app.send("GET", "/api/tasks?parent=\(children.first?["id"]?.stringValue ?? "")").json["tasks"] == [])
        #expect(await app.send("GET", "/api/tasks?parent=").status == 400)
        await app.application.shutdown()
    }

    @Test func cancellingAParentCancelsItsChildren() async throws {
        let tools = ToolSourceCatalog()
        let app = try await RESTHarness.started(catalog: tools.catalog)
        let engine = app.application.engine
        let id = await app.start("parent_waits")
        var child: JSONValue?
        for _ in 0..<2000 where child == nil {
            child = await app.send("GET", "/api/tasks?tool=chatty").json["tasks"]?.arrayValue?.first
            if child == nil { try await Task.sleep(for: .milliseconds(2)) }
        }
        let childID = try #require(child?["id"]?.stringValue)
        #expect(child?["parentTaskId"]?.stringValue == id)
        #expect(await app.send("POST", "/api/tasks/\(id)/cancel").status == 200)
        let ended = try await engine.waitForTerminal(TaskID(childID), for: .anonymous, timeout: .seconds(10))
        #expect(ended.status == .cancelled)
        #expect(ended.statusMessage?.contains(id) == true)
        tools.latch.open()  // the child's attempt waits on the latch without watching for cancellation
        await app.application.shutdown()
    }

    /// A question with a timeout: nobody answers, the tool sees "no answer" and goes on; the task was
    /// `input_required`, then `working` again with the question withdrawn.
    @Test func aQuestionNobodyAnswersInTimeIsWithdrawn() async throws {
        let tools = ToolSourceCatalog()
        let app = try await RESTHarness.started(catalog: tools.catalog)
        let id = await app.start("ask_briefly")
        let result = await app.result(id)
        #expect(result["status"] == "completed")
        #expect(result["result"]?["content"]?[0]?["text"] == "no answer")
        let task = await app.send("GET", "/api/tasks/\(id)").json
        #expect(task["inputRequest"] == nil)
        let history = task["history"]?.arrayValue ?? []
        #expect(
            history.compactMap { $0["status"]?.stringValue } == ["working", "input_required", "working", "completed"])
        #expect(history[2]["message"]?.stringValue == TaskEngine.questionWithdrawn)
        let late = await app.send("POST", "/api/tasks/\(id)/input", body: #"{"action":"accept","content":{"ok":true}}"#)
        #expect(late.status == 409)
        await app.application.shutdown()
    }

    @Test func aToolKnowsItsNodeAndAttempt() async throws {
        let tools = ToolSourceCatalog()
        let app = try await RESTHarness.started(catalog: tools.catalog) { $0.engine.nodeName = "node-7" }
        let id = await app.start("where")
        #expect(await app.result(id)["result"]?["content"]?[0]?["text"] == "node-7 1")
        let plain = await app.send("POST", "/api/tools/where/call", body: "{}")
        #expect(plain.json["content"]?[0]?["text"] == "- 0")
        await app.application.shutdown()
    }

    @Test func aReplacedCatalogIsServedToLaterCalls() async throws {
        let tools = ToolSourceCatalog()
        let app = try await RESTHarness.started(catalog: tools.catalog)
        #expect(await app.send("GET", "/api/tools/late").status == 404)
        app.application.updateCatalog { catalog in
            catalog.add(Tool(name: "late", description: "Added while serving.") { _, _ in .text("here") })
        }
        #expect(await app.send("GET", "/api/tools/late").status == 200)
        let id = await app.start("late")
        #expect(await app.result(id)["result"]?["content"]?[0]?["text"] == "here")
        await app.application.shutdown()
    }
}
