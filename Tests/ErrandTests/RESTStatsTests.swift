import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Testing

/// `GET /api/stats`, `/api/stats/series` and `/api/cluster`, and the list filters the dashboard pages with.
@Suite(.shutsDownApplications) struct RESTStatsTests {
    /// Polls `condition` every 10 ms for up to ten seconds.
    func eventually(_ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// `errand_tasks{status=...}` of `/metrics`.
    func metricsCounts(_ app: RESTHarness) async -> [String: Int64] {
        let text = await app.send("GET", "/metrics").text
        var counts: [String: Int64] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("errand_tasks{status=\"") {
            let parts = line.dropFirst("errand_tasks{status=\"".count).split(separator: "\"")
            counts[String(parts[0])] = Int64(parts[1].dropFirst(2))
        }
        return counts
    }

    @Test func statsCountEveryTaskByStatusAndToolAndEqualTheMetrics() async throws {
        let app = try await RESTHarness.started()
        for _ in 0..<3 { _ = await app.start("sleep", #"{"seconds": 0}"#) }
        for _ in 0..<2 { _ = await app.start("fail") }
        var stats = JSONValue.null
        let settled = await eventually {
            stats = await app.send("GET", "/api/stats").json
            return stats["byStatus"]?["completed"] == 3 && stats["byStatus"]?["failed"] == 2
        }
        #expect(settled, "\(stats)")
        #expect(stats["total"] == 5)
        #expect(stats["byTool"]?["sleep"] == ["completed": 3])
        #expect(stats["byTool"]?["fail"] == ["failed": 2])
        #expect(stats["byStatus"]?.objectValue?.count == TaskStatus.allCases.count)
        let metrics = await metricsCounts(app)
        for status in TaskStatus.allCases {
            #expect(stats["byStatus"]?[status.rawValue]?.intValue == metrics[status.rawValue], "\(status)")
        }
        #expect(stats["server"]?["queueDepth"] == 0)
        #expect(stats["server"]?["workerSlots"]?.intValue ?? 0 > 0)
        let response = await app.send("GET", "/api/stats")
        #expect(response.headers["Cache-Control"] == "no-store")
        #expect(await app.send("POST", "/api/stats").status == 405)
    }

    @Test func statsCountOnlyTheCallersAndItsTeamsTasks() async throws {
        let harness = try await AuthHarness.started()
        for principal in ["alice", "alice", "carol", "bob"] {
            let started = await harness.send(
                "POST", "/api/tools/sleep/call?task=true", as: principal, body: #"{"seconds": 0}"#)
            #expect(started.status == 202)
        }
        func total(_ principal: String) async -> JSONValue? {
            await harness.send("GET", "/api/stats", as: principal).json["total"]
        }
        #expect(await total("alice") == 3)  // alice's two and carol's (team chem)
        #expect(await total("carol") == 3)
        #expect(await total("bob") == 1)
        #expect(await total("solo") == 0)
        let anonymous = await harness.send("GET", "/api/stats", as: nil)
        #expect(anonymous.status == 401)
        #expect(await harness.send("GET", "/api/stats/series", as: nil).status == 401)
        #expect(await harness.send("GET", "/api/cluster", as: nil).status == 401)
    }

    @Test func seriesRecordsEachSecondAndRefusesABadSpan() async throws {
        let app = try await RESTHarness.started()
        for _ in 0..<4 { _ = await app.start("sleep", #"{"seconds": 0}"#) }
        _ = await app.start("fail")
        var series = JSONValue.null
        func sum(_ name: String) -> Int64 { series[name]?.arrayValue?.compactMap(\.intValue).reduce(0, +) ?? 0 }
        let recorded = await eventually {
            series = await app.send("GET", "/api/stats/series?seconds=60").json
            return sum("submitted") == 5 && sum("completed") == 4 && sum("failed") == 1
        }
        #expect(recorded, "\(series)")
        let columns = ["at", "submitted", "completed", "failed", "cancelled", "queued", "running"]
        let lengths = Set(columns.map { series[$0]?.arrayValue?.count ?? -1 })
        #expect(lengths.count == 1 && lengths.first ?? 0 >= 1 && lengths.first ?? 0 <= 60)
        #expect(series["capacity"] == 3600 && series["intervalSeconds"] == 1)
        let runTimes = series["runTimes"]?.arrayValue ?? []
        #expect(Set(runTimes.compactMap { $0["tool"]?.stringValue }) == ["sleep", "fail"])
        #expect(runTimes.first { $0["tool"] == "sleep" }?["count"] == 4)
        for bad in ["0", "3601", "ten", "-5", ""] {
            let response = await app.send("GET", "/api/stats/series?seconds=\(bad)")
            #expect(response.status == 400, "seconds=\(bad)")
            #expect(response.json["detail"]?.stringValue?.contains("'seconds'") == true)
        }
    }

    @Test func clusterShowsTheOneServer() async throws {
        let app = try await RESTHarness.started()
        let cluster = await app.send("GET", "/api/cluster").json
        #expect(cluster["mode"] == "single")
        let nodes = cluster["nodes"]?.arrayValue ?? []
        #expect(nodes.count == 1)
        #expect(nodes.first?["self"] == true && nodes.first?["renewing"] == true && nodes.first?["name"] == "local")
        #expect(await app.send("DELETE", "/api/cluster").status == 405)
    }

    @Test func listPagesOldestFirstAndRefusesBadFilters() async throws {
        let app = try await RESTHarness.started()
        var ids: [String] = []
        for _ in 0..<5 { ids.append(await app.start("sleep", #"{"seconds": 0}"#)) }
        var seen: [String] = []
        var cursor: String?
        repeat {
            let target = "/api/tasks?order=oldest&limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = await app.send("GET", target).json
            seen += page["tasks"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            cursor = page["nextCursor"]?.stringValue
        } while cursor != nil
        let newest = await app.send("GET", "/api/tasks?order=newest&limit=10").json["tasks"]?.arrayValue ?? []
        #expect(seen == newest.compactMap { $0["id"]?.stringValue }.reversed())
        #expect(Set(seen) == Set(ids))
        for (query, name) in [("order=sideways", "'order'"), ("owner=", "'owner'"), ("team=", "'team'")] {
            let response = await app.send("GET", "/api/tasks?\(query)")
            #expect(response.status == 400, "\(query)")
            #expect(response.json["detail"]?.stringValue?.contains(name) == true, "\(query)")
        }
    }

    @Test func listFiltersByOwnerAndTeamAndShowsTheOwner() async throws {
        let harness = try await AuthHarness.started()
        for principal in ["alice", "carol", "bob"] {
            _ = await harness.send("POST", "/api/tools/sleep/call?task=true", as: principal, body: #"{"seconds": 0}"#)
        }
        func owners(_ query: String, as principal: String) async -> [String] {
            let tasks = await harness.send("GET", "/api/tasks?\(query)", as: principal).json["tasks"]?.arrayValue
            return (tasks ?? []).compactMap { $0["owner"]?["principal"]?.stringValue }.sorted()
        }
        #expect(await owners("owner=carol", as: "alice") == ["carol"])
        #expect(await owners("team=chem", as: "alice") == ["alice", "carol"])
        #expect(await owners("owner=bob", as: "alice") == [])  // bob's task is not alice's to see
        let task = await harness.send("GET", "/api/tasks?owner=alice", as: "alice").json["tasks"]?.arrayValue?.first
        #expect(task?["owner"] == ["principal": "alice", "team": "chem"])
    }
}
