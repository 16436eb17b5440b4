import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Testing

/// `GET /api/events`: the opening event, live task events, filters, replay and reset.
@Suite(.shutsDownApplications) struct RESTEventTests {
    /// The next event, or `nil` if none comes within `timeout`.
    static func next(_ stream: SSEStream, timeout: Duration = .seconds(5)) async -> SSEEvent? {
        await withTaskGroup(of: SSEEvent?.self) { group in
            group.addTask { await stream.next() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil { stream.cancel() }
            group.cancelAll()
            return first
        }
    }

    /// Task events until one reports `status`, in order.
    static func events(_ stream: SSEStream, until status: String) async -> [JSONValue] {
        var seen: [JSONValue] = []
        while let event = await next(stream) {
            guard event.event == "task", let data = try? JSONParser.parse(event.data) else { continue }
            seen.append(data)
            if data["task"]?["status"]?.stringValue == status { break }
        }
        return seen
    }

    @Test func opensWithReadyAndRetry() async throws {
        let app = try await RESTHarness.started()
        let response = await app.send("GET", "/api/events")
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "text/event-stream")
        let stream = try #require(response.stream)
        let ready = try #require(await Self.next(stream))
        #expect(ready.event == "ready")
        #expect(ready.retry == 2000)
        #expect(ready.id != nil)
        stream.cancel()
    }

    @Test func streamsTheLifeOfATask() async throws {
        let app = try await RESTHarness.started()
        let stream = try #require(await app.send("GET", "/api/events").stream)
        _ = await Self.next(stream)
        let id = await app.start("sleep", #"{"seconds": 0.1}"#)
        let events = await Self.events(stream, until: "completed")
        #expect(events.first?["type"] == "created")
        #expect(events.contains { $0["type"] == "progress" })
        #expect(events.last?["task"]?["status"] == "completed")
        #expect(events.allSatisfy { $0["task"]?["id"]?.stringValue == id })
        let sequences = events.compactMap { $0["sequence"]?.intValue }
        #expect(sequences == sequences.sorted())
        stream.cancel()
    }

    @Test func filtersByTaskAndTool() async throws {
        let app = try await RESTHarness.started()
        let other = await app.start("sleep", #"{"seconds": 30}"#)
        let id = await app.start("sleep", #"{"seconds": 0.1}"#)
        let stream = try #require(await app.send("GET", "/api/events?task=\(id)").stream)
        _ = await Self.next(stream)
        let events = await Self.events(stream, until: "completed")
        #expect(!events.isEmpty)
        #expect(events.allSatisfy { $0["task"]?["id"]?.stringValue == id })
        stream.cancel()

        let byTool = try #require(await app.send("GET", "/api/events?tool=fail").stream)
        _ = await Self.next(byTool)
        _ = await app.send("POST", "/api/tasks/\(other)/cancel")
        let failing = await app.start("fail")
        let failEvents = await Self.events(byTool, until: "failed")
        #expect(failEvents.allSatisfy { $0["task"]?["id"]?.stringValue == failing })
        byTool.cancel()
    }

    @Test func replaysAfterLastEventID() async throws {
        let app = try await RESTHarness.started()
        let first = try #require(await app.send("GET", "/api/events").stream)
        let ready = try #require(await Self.next(first))
        first.cancel()
        let id = await app.start("sleep", #"{"seconds": 0}"#)
        _ = await app.send("GET", "/api/tasks/\(id)/result?wait=5s")
        let resumed = try #require(
            await app.send("GET", "/api/events", headers: ["Last-Event-ID": ready.id ?? "0"]).stream)
        let opening = try #require(await Self.next(resumed))
        #expect(opening.event == "ready")
        let replayed = await Self.events(resumed, until: "completed")
        #expect(replayed.first?["type"] == "created")
        #expect(replayed.last?["task"]?["id"]?.stringValue == id)
        resumed.cancel()

        let byQuery = try #require(await app.send("GET", "/api/events?lastEventId=\(ready.id ?? "0")").stream)
        _ = await Self.next(byQuery)
        #expect(await Self.events(byQuery, until: "completed").isEmpty == false)
        byQuery.cancel()
    }

    @Test func sendsResetWhenTheReplayWindowWasPassed() async throws {
        let app = try await RESTHarness.started { $0.engine.replayWindow = 3 }
        for _ in 0..<3 {
            let id = await app.start("sleep", #"{"seconds": 0}"#)
            _ = await app.send("GET", "/api/tasks/\(id)/result?wait=5s")
        }
        let stream = try #require(await app.send("GET", "/api/events", headers: ["Last-Event-ID": "1"]).stream)
        let reset = try #require(await Self.next(stream))
        #expect(reset.event == "reset")
        #expect(reset.retry == 2000)
        #expect((try? JSONParser.parse(reset.data))?["reason"]?.stringValue?.contains("reload") == true)
        stream.cancel()
    }

    @Test func badLastEventIDIs400() async throws {
        let app = try await RESTHarness.started()
        #expect(await app.send("GET", "/api/events", headers: ["Last-Event-ID": "yesterday"]).status == 400)
    }

    @Test func closingTheStreamUnsubscribes() async throws {
        let app = try await RESTHarness.started()
        let before = app.application.engine.events.subscriberCount
        let stream = try #require(await app.send("GET", "/api/events").stream)
        #expect(app.application.engine.events.subscriberCount == before + 1)
        stream.cancel()
        #expect(app.application.engine.events.subscriberCount == before)
    }
}
