import ErrandDemo
import ErrandHTTP
import ErrandProtocol
import Testing

@testable import Errand

/// Plain (non-task) calls: tools, resources, prompts, progress, cancellation.
@Suite(.shutsDownApplications) struct ToolCallTests {
    @Test func toolsListDeclaresTaskModes() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let tools = try #require(try await app.call("tools/list", session: session)["result"]?["tools"]?.arrayValue)
        var modes: [String: String] = [:]
        for tool in tools {
            if let name = tool["name"]?.stringValue {
                modes[name] = tool["execution"]?["taskSupport"]?.stringValue ?? "absent"
            }
            #expect(tool["inputSchema"]?["type"] == "object")
        }
        #expect(modes["sleep"] == "optional")
        #expect(modes["slow_computation"] == "optional")
        #expect(modes["fail"] == "optional")
        #expect(modes["must_be_background"] == "required")
        #expect(modes["sync_only"] == "forbidden")
        #expect(modes["echo"] == "absent")
    }

    @Test func plainCallsReturnTheReferenceTexts() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        func text(_ name: String, _ arguments: JSONValue) async throws -> String? {
            try await app.call("tools/call", ["name": .string(name), "arguments": arguments], session: session)[
                "result"]?["content"]?[0]?["text"]?.stringValue
        }
        #expect(try await text("echo", ["text": "hi there"]) == "hi there")
        #expect(try await text("sleep", ["seconds": 0.05]) == "slept 0.05")
        #expect(try await text("sleep", ["seconds": 0]) == "slept 0")
        #expect(try await text("sync_only", [:]) == "sync done")
        #expect(try await text("slow_computation", ["duration": 0]) == "computed 0 steps")
    }

    @Test func failingAndInvalidCallsAreToolErrorsNotProtocolErrors() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let failed = try await app.call(
            "tools/call", ["name": "fail", "arguments": ["message": "boom 42"]], session: session)
        #expect(failed["result"]?["isError"] == true)
        #expect(failed["result"]?["content"]?[0]?["text"]?.stringValue?.contains("boom 42") == true)
        let invalid = try await app.call(
            "tools/call", ["name": "sleep", "arguments": ["seconds": "soon"]], session: session)
        #expect(invalid["result"]?["isError"] == true)
        #expect(invalid["result"]?["content"]?[0]?["text"]?.stringValue?.contains("seconds") == true)
        let missing = try await app.call("tools/call", ["name": "echo", "arguments": [:]], session: session)
        #expect(missing["result"]?["content"]?[0]?["text"]?.stringValue?.contains("text") == true)
    }

    @Test func protocolErrorsOfToolsCall() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let unknown = try await app.call("tools/call", ["name": "nope", "arguments": [:]], session: session)
        #expect(unknown["error"]?["code"] == .int(-32602))
        let noName = try await app.call("tools/call", ["arguments": [:]], session: session)
        #expect(noName["error"]?["code"] == .int(-32602))
        let badArguments = try await app.call("tools/call", ["name": "echo", "arguments": [1, 2]], session: session)
        #expect(badArguments["error"]?["code"] == .int(-32602))
        let badTask = try await app.call(
            "tools/call", ["name": "sleep", "arguments": ["seconds": 0], "task": 5], session: session)
        #expect(badTask["error"]?["code"] == .int(-32602))
        let badTTL = try await app.call(
            "tools/call", ["name": "sleep", "arguments": ["seconds": 0], "task": ["ttl": 1.5]], session: session)
        #expect(badTTL["error"]?["code"] == .int(-32602))
    }

    @Test func progressTokenStreamsProgressThenTheResult() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let response = await app.post(
            [
                "jsonrpc": "2.0", "id": 5, "method": "tools/call",
                "params": [
                    "name": "run_tests", "arguments": ["tests": 3, "fail_every": 2, "test_ms": 1],
                    "_meta": ["progressToken": "p-1"],
                ],
            ], session: session)
        guard case .eventStream(let stream) = response.body else {
            Issue.record("expected an event stream")
            return
        }
        var progress: [Double] = []
        var result: JSONValue?
        while let event = await stream.next() {
            let message = try JSONParser.parse(event.data)
            if message["method"] == "notifications/progress" {
                #expect(message["params"]?["progressToken"] == "p-1")
                progress.append(message["params"]?["progress"]?.doubleValue ?? -1)
            } else if message["id"] == .int(5) {
                result = message["result"]
            }
        }
        #expect(progress == [1, 2, 3])
        #expect(result?["structuredContent"]?["failed"] == .int(1))
    }

    @Test func notificationsCancelledStopsAPlainCall() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let call = Task {
            await app.post(
                [
                    "jsonrpc": "2.0", "id": 77, "method": "tools/call",
                    "params": ["name": "sleep", "arguments": ["seconds": 30]],
                ],
                session: session)
        }
        let running = try #require(app.app.mcp.sessions.session(session))
        #expect(await eventually { running.isInFlight(.int(77)) })
        _ = await app.post(
            ["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": 77, "reason": "user"]],
            session: session)
        let response = await call.value
        // No JSON-RPC response for a cancelled request: a 200 event stream that ends without one.
        #expect(response.status == 200)
        guard case .eventStream(let stream) = response.body else {
            Issue.record("expected an event stream")
            return
        }
        #expect(await stream.next() == nil)
    }

    @Test func resourcesAndPromptsWorkAsPlainRequests() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let resources = try await app.call("resources/list", session: session)
        #expect(resources["result"]?["resources"]?[0]?["uri"] == "errand://reports/weekly")
        let read = try await app.call("resources/read", ["uri": "errand://reports/weekly"], session: session)
        #expect(read["result"]?["contents"]?[0]?["text"]?.stringValue?.hasPrefix("Weekly report") == true)
        let missing = try await app.call("resources/read", ["uri": "errand://nope"], session: session)
        #expect(missing["error"]?["code"] == .int(-32002))
        let prompt = try await app.call(
            "prompts/get", ["name": "research_brief", "arguments": ["topic": "enzymes"]], session: session)
        #expect(prompt["result"]?["messages"]?[0]?["content"]?["text"]?.stringValue?.contains("enzymes") == true)
        let noArgument = try await app.call("prompts/get", ["name": "research_brief"], session: session)
        #expect(noArgument["error"]?["code"] == .int(-32602))
    }

    /// Regression: `sleep` with seconds past Int64.max milliseconds (valid JSON, valid against the schema)
    /// trapped in the Double → Int64 conversion and took the whole server down.
    @Test(arguments: [1e300, 1e16, 9.3e15, .greatestFiniteMagnitude])
    func sleepWithAnAbsurdDurationSleepsForAPracticalEternity(seconds: Double) {
        #expect(SeedTools.sleepDuration(seconds: seconds) == .seconds(100 * 365 * 86_400))
        #expect(SeedTools.sleepDuration(seconds: 0.5) == .milliseconds(500))
    }

    @Test func anAbsurdSleepRunsAsATaskUntilCancelled() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        let created = try await app.call(
            "tools/call", ["name": "sleep", "arguments": ["seconds": 1e300], "task": [:]], session: session)
        let id = try #require(created["result"]?["task"]?["taskId"])
        let running = try await app.call("tasks/get", ["taskId": id], session: session)
        #expect(running["result"]?["status"] == "working")
        let cancelled = try await app.call("tasks/cancel", ["taskId": id], session: session)
        #expect(cancelled["result"]?["status"] == "cancelled")
    }
}

extension JSONValue {
    /// Element `index` of an array.
    subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}
