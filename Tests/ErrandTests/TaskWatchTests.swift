import ErrandProtocol
import Testing

@testable import Errand

/// Which tasks the notifier remembers to report to sessions other than the creator.
@Suite(.shutsDownApplications) struct TaskWatchTests {
    /// Regression: `tasks/result` watched the id before looking it up, so every refused call with an unknown
    /// id stayed in the watch table for ever (200 calls with 1 MB ids grew the server by 190 MB).
    @Test func refusedTaskLookupsLeaveNothingBehind() async throws {
        let app = try await TestApplication()
        let session = try await app.initialize()
        for (index, method) in ["tasks/result", "tasks/get", "tasks/cancel"].enumerated() {
            let unknown = JSONValue.string("no-such-task-\(index)-" + String(repeating: "x", count: 10_000))
            let answer = try await app.call(method, ["taskId": unknown], session: session)
            #expect(answer["error"]?["code"] == .int(-32602))
        }
        #expect(app.app.mcp.notifier.watchedTaskCount == 0)
    }

    @Test func resultOfAKnownTaskWatchesItUntilItEnds() async throws {
        let app = try await TestApplication()
        let creator = try await app.initialize()
        let other = try await app.initialize()
        let created = try await app.call(
            "tools/call", ["name": "sleep", "arguments": ["seconds": 30], "task": [:]], session: creator)
        let id = try #require(created["result"]?["task"]?["taskId"])
        let waiter = Task { try await app.call("tasks/result", ["taskId": id], id: 9, session: other) }
        #expect(await eventually { app.app.mcp.notifier.watchedTaskCount == 1 })
        _ = try await app.call("tasks/cancel", ["taskId": id], session: creator)
        _ = try await waiter.value
        #expect(await eventually { app.app.mcp.notifier.watchedTaskCount == 0 })
    }
}
