import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import ErrandTestSupport
import Testing

/// `GET /api/tasks/{id}/log`: text, JSON and a live stream; and the same lines as MCP `notifications/message`.
@Suite(.shutsDownApplications) struct TaskLogRESTTests {
    @Test func aFinishedTasksLogReadsAsTextAndJSON() async throws {
        let tools = ToolSourceCatalog()
        let app = try await RESTHarness.started(catalog: tools.catalog)
        tools.latch.open()
        let id = await app.start("chatty")
        #expect(await app.result(id)["status"] == "completed")
        let text = await app.send("GET", "/api/tasks/\(id)/log")
        #expect(text.status == 200)
        #expect(text.headers["Content-Type"] == "text/plain; charset=utf-8")
        let lines = text.text.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[1].hasSuffix(" warning careful"))
        let json = await app.send("GET", "/api/tasks/\(id)/log?format=json").json
        #expect(json["lines"]?.arrayValue?.compactMap { $0["text"]?.stringValue } == ["first", "careful", "done"])
        #expect(json["lastSequence"] == 3)
        #expect(json["droppedLines"] == 0)
        let task = await app.send("GET", "/api/tasks/\(id)").json
        #expect(task["logLines"] == 3)
        #expect(task["links"]?["log"]?.stringValue == "/api/tasks/\(id)/log")
        #expect(await app.send("GET", "/api/tasks/\(id)/log?format=xml").status == 400)
        #expect(await app.send("GET", "/api/tasks/00000000-0000-4000-8000-000000000000/log").status == 404)
        await app.application.shutdown()
    }

    @Test func followingStreamsStoredThenLiveLinesAndEndsWithTheTask() async throws {
        let tools = ToolSourceCatalog()
        let app = try await RESTHarness.started(catalog: tools.catalog)
        let id = await app.start("chatty")
        let response = await app.send("GET", "/api/tasks/\(id)/log?follow=1")
        let stream = try #require(response.stream)
        #expect(await stream.next()?.event == "ready")
        var texts: [String] = []
        var ids: [String] = []
        while texts.count < 2, let event = await stream.next() {
            #expect(event.event == "log")
            texts.append(try JSONParser.parse(event.data)["text"]?.stringValue ?? "")
            ids.append(event.id ?? "")
        }
        #expect(texts == ["first", "careful"])
        tools.latch.open()  // the third line is logged only now: it must arrive live
        let third = await stream.next()
        #expect(third?.event == "log")
        #expect(try JSONParser.parse(third?.data ?? "{}")["text"] == "done")
        #expect(ids + [third?.id ?? ""] == ["1", "2", "3"])
        let end = await stream.next()
        #expect(end?.event == "end")
        #expect(try JSONParser.parse(end?.data ?? "{}")["status"] == "completed")
        #expect(await stream.next() == nil)
        await app.application.shutdown()
    }

    @Test func followingResumesAfterLastEventID() async throws {
        let tools = ToolSourceCatalog()
        let app = try await RESTHarness.started(catalog: tools.catalog)
        tools.latch.open()
        let id = await app.start("chatty")
        _ = await app.result(id)
        let response = await app.send(
            "GET", "/api/tasks/\(id)/log", headers: ["Accept": "text/event-stream", "Last-Event-ID": "2"])
        let stream = try #require(response.stream)
        var events: [String] = []
        while let event = await stream.next() { events.append("\(event.event ?? "")#\(event.id ?? "")") }
        #expect(events == ["ready#", "log#3", "end#"])
        let bad = await app.send("GET", "/api/tasks/\(id)/log?follow=1&lastEventId=x")
        #expect(bad.status == 400)
        await app.application.shutdown()
    }

    @Test func logLinesReachTheCreatingMCPSessionAboveItsLevel() async throws {
        let tools = ToolSourceCatalog()
        let app = try await TestApplication(catalog: tools.catalog)
        let session = try await app.initialize()
        let stream = try await app.openEventStream(session: session)
        let level = try await app.call("logging/setLevel", ["level": "warning"], session: session)
        #expect(level["result"] == [:])
        let refused = try await app.call("logging/setLevel", ["level": "loud"], session: session)
        #expect(refused["error"]?["code"] == -32602)
        let created = try await app.call(
            "tools/call", ["name": "chatty", "arguments": [:], "task": [:]], id: 2, session: session)
        let taskID = try #require(created["result"]?["task"]?["taskId"]?.stringValue)
        let message = try await TestApplication.nextMessage(on: stream, method: "notifications/message")
        // "first" (info) is below the session's level; "careful" (warning) is the first line it hears.
        #expect(message["params"]?["level"] == "warning")
        #expect(message["params"]?["data"] == "careful")
        #expect(message["params"]?["logger"] == "chatty")
        #expect(
            message["params"]?["_meta"]?["io.modelcontextprotocol/related-task"]?["taskId"]?.stringValue == taskID)
        tools.latch.open()
        await app.app.shutdown()
    }
}
