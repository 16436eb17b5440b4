import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Synchronization
import Testing

/// `/api/tasks`: list, get, result (with wait), cancel and delete.
@Suite(.shutsDownApplications) struct RESTTaskTests {
    @Test func getsATaskAndRefusesUnknownIDs() async throws {
        let app = try await RESTHarness.started()
        let id = await app.start("sleep", #"{"seconds": 0}"#)
        let response = await app.send("GET", "/api/tasks/\(id)")
        #expect(response.status == 200)
        #expect(response.json["id"]?.stringValue == id)
        #expect(response.json["history"]?.arrayValue?.isEmpty == false)
        let unknown = await app.send("GET", "/api/tasks/00000000-0000-4000-8000-000000000000")
        #expect(unknown.status == 404)
        #expect(unknown.headers["Content-Type"] == "application/problem+json")
        #expect(await app.send("GET", "/api/tasks/nope/result").status == 404)
        #expect(await app.send("POST", "/api/tasks/nope/cancel").status == 404)
        #expect(await app.send("DELETE", "/api/tasks/nope").status == 404)
    }

    @Test func resultWaitsForTheOutcome() async throws {
        let app = try await RESTHarness.started()
        let id = await app.start("sleep", #"{"seconds": 0.2}"#)
        let response = await app.send("GET", "/api/tasks/\(id)/result?wait=5s")
        #expect(response.status == 200)
        #expect(response.json["status"] == "completed")
        #expect(response.json["taskId"]?.stringValue == id)
        #expect(response.json["result"]?["content"]?.arrayValue?.first?["text"] == "slept")
    }

    @Test func resultOfARunningTaskIs202WithRetryAfter() async throws {
        let app = try await RESTHarness.started()
        let id = await app.start("sleep", #"{"seconds": 30}"#)
        let now = await app.send("GET", "/api/tasks/\(id)/result")
        #expect(now.status == 202)
        #expect(now.headers["Retry-After"] == "1")
        #expect(now.json["id"]?.stringValue == id)
        let waited = await app.send("GET", "/api/tasks/\(id)/result?wait=100ms")
        #expect(waited.status == 202)
        _ = await app.send("POST", "/api/tasks/\(id)/cancel")
    }

    @Test(arguments: ["soon", "-1s", "5h", ""])
    func malformedWaitIs400(_ wait: String) async throws {
        let app = try await RESTHarness.started()
        let id = await app.start("sleep", #"{"seconds": 0}"#)
        #expect(await app.send("GET", "/api/tasks/\(id)/result?wait=\(wait)").status == 400)
    }

    @Test func failedToolsReportTheirResult() async throws {
        let app = try await RESTHarness.started()
        let id = await app.start("fail")
        let response = await app.send("GET", "/api/tasks/\(id)/result?wait=5s")
        #expect(response.status == 200)
        #expect(response.json["status"] == "failed")
        #expect(response.json["result"]?["isError"] == true)
    }

    @Test func cancelThenCancelAgainThenResult() async throws {
        let app = try await RESTHarness.started()
        let id = await app.start("sleep", #"{"seconds": 30}"#)
        let cancelled = await app.send("POST", "/api/tasks/\(id)/cancel")
        #expect(cancelled.status == 200)
        #expect(cancelled.json["status"] == "cancelled")
        let again = await app.send("POST", "/api/tasks/\(id)/cancel")
        #expect(again.status == 409)
        #expect(again.json["detail"]?.stringValue?.contains("already ended") == true)
        let result = await app.send("GET", "/api/tasks/\(id)/result")
        #expect(result.status == 200)
        #expect(result.json["status"] == "cancelled")
        #expect(result.json["result"] == nil)
    }

    @Test func deleteOnlyEndedTasks() async throws {
        let app = try await RESTHarness.started()
        let id = await app.start("sleep", #"{"seconds": 30}"#)
        let running = await app.send("DELETE", "/api/tasks/\(id)")
        #expect(running.status == 409)
        #expect(running.json["detail"]?.stringValue?.contains("cancel it first") == true)
        _ = await app.send("POST", "/api/tasks/\(id)/cancel")
        let deleted = await app.send("DELETE", "/api/tasks/\(id)")
        #expect(deleted.status == 204)
        #expect(await app.send("GET", "/api/tasks/\(id)").status == 404)
    }

    @Test func listsNewestFirstWithFilters() async throws {
        let app = try await RESTHarness.started(clock: SteppingClock())  // two tasks, two creation times
        let first = await app.start("sleep", #"{"seconds": 0}"#)
        let second = await app.start("fail")
        _ = await app.send("GET", "/api/tasks/\(second)/result?wait=5s")
        _ = await app.send("GET", "/api/tasks/\(first)/result?wait=5s")
        let all = await app.send("GET", "/api/tasks")
        #expect(all.status == 200)
        let ids = all.json["tasks"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        #expect(ids == [second, first])
        let failed = await app.send("GET", "/api/tasks?status=failed,cancelled")
        #expect(failed.json["tasks"]?.arrayValue?.count == 1)
        let byTool = await app.send("GET", "/api/tasks?tool=sleep")
        #expect(byTool.json["tasks"]?.arrayValue?.first?["id"]?.stringValue == first)
        let future = await app.send("GET", "/api/tasks?created_after=2999-01-01T00:00:00Z")
        #expect(future.json["tasks"]?.arrayValue?.isEmpty == true)
        let past = await app.send("GET", "/api/tasks?created_before=0")
        #expect(past.json["tasks"]?.arrayValue?.isEmpty == true)
    }

    @Test func pagesWithACursor() async throws {
        let app = try await RESTHarness.started()
        for _ in 0..<3 { _ = await app.start("sleep", #"{"seconds": 0}"#) }
        let page = await app.send("GET", "/api/tasks?limit=2")
        #expect(page.json["tasks"]?.arrayValue?.count == 2)
        let cursor = try #require(page.json["nextCursor"]?.stringValue)
        let encoded = cursor.utf8.map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return "%" + (hex.count == 1 ? "0" + hex : hex)
        }.joined()
        let rest = await app.send("GET", "/api/tasks?limit=2&cursor=\(encoded)")
        #expect(rest.status == 200)
        #expect(rest.json["tasks"]?.arrayValue?.count == 1)
        #expect(rest.json["nextCursor"] == nil)
    }

    @Test(arguments: [
        "status=running", "limit=0", "limit=1001", "limit=ten", "created_after=yesterday",
        "created_before=2026-13-01T00:00:00Z", "cursor=", "cursor=not-a-cursor",
    ])
    func badListFiltersAre400(_ query: String) async throws {
        let app = try await RESTHarness.started()
        let response = await app.send("GET", "/api/tasks?\(query)")
        #expect(response.status == 400)
        #expect(response.headers["Content-Type"] == "application/problem+json")
    }
}

/// A wall clock that moves one millisecond each time it is read: every timestamp differs, with no waiting.
final class SteppingClock: EngineClock {
    private let now = Mutex<Int64>(1_700_000_000_000)
    func nowMs() -> Int64 {
        now.withLock {
            $0 += 1; return $0
        }
    }
}
