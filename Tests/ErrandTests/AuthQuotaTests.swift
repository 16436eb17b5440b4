import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Testing

/// Per-principal (or, without authentication, per-session and per-client) limits and priority clamping.
@Suite(.shutsDownApplications) struct AuthQuotaTests {
    static func expectQuotaError(_ response: JSONValue, naming limit: String) {
        #expect(response["error"]?["code"] == .int(Int64(ErrandErrorCode.quotaExceeded)), "\(response)")
        #expect(response["error"]?["message"]?.stringValue?.contains(limit) == true, "\(response)")
        #expect((response["error"]?["data"]?["retryAfterSeconds"]?.intValue ?? 0) >= 1, "\(response)")
    }

    @Test func submissionsPerMinuteOverMCP() async throws {
        let harness = try await AuthHarness.started()
        let session = try await harness.initialize(as: "rate")
        for _ in 0..<2 { _ = try await harness.taskID(session: session, as: "rate", seconds: 0) }
        let refused = try await harness.startTask(session: session, as: "rate", seconds: 0)
        Self.expectQuotaError(refused, naming: "submissionsPerMinute")
        let retry = refused["error"]?["data"]?["retryAfterSeconds"]?.intValue ?? 0
        #expect(retry >= 1 && retry <= 30)
        // Another principal is not affected.
        let bob = try await harness.initialize(as: "bob")
        _ = try await harness.taskID(session: bob, as: "bob", seconds: 0)
    }

    @Test func submissionsPerMinuteOverRESTIs429() async throws {
        let harness = try await AuthHarness.started()
        for _ in 0..<2 {
            let ok = await harness.send("POST", "/api/tools/sleep/call?task=true", as: "rate", body: #"{"seconds": 0}"#)
            #expect(ok.status == 202)
        }
        let refused = await harness.send(
            "POST", "/api/tools/sleep/call?task=true", as: "rate", body: #"{"seconds": 0}"#)
        #expect(refused.status == 429)
        #expect(Int(refused.headers["Retry-After"] ?? "") ?? 0 >= 1)
        #expect(refused.headers["Content-Type"] == "application/problem+json")
        #expect(refused.json["detail"]?.stringValue?.contains("submissionsPerMinute") == true)
    }

    @Test func queuedTasksLimit() async throws {
        let harness = try await AuthHarness.started()
        let session = try await harness.initialize(as: "queue")
        let first = try await harness.startTask(session: session, as: "queue")
        #expect(first["result"]?["task"]?["status"] == "working")
        let second = try await harness.startTask(session: session, as: "queue")
        #expect(second["result"]?["task"]?["statusMessage"]?.stringValue?.hasPrefix("queued") == true)
        Self.expectQuotaError(try await harness.startTask(session: session, as: "queue"), naming: "queuedTasks")
        let rest = await harness.send("POST", "/api/tools/sleep/call?task=true", as: "queue", body: #"{"seconds": 1}"#)
        #expect(rest.status == 429)
        #expect(rest.json["detail"]?.stringValue?.contains("queuedTasks") == true)
    }

    @Test func concurrentTasksLimit() async throws {
        let harness = try await AuthHarness.started()
        let session = try await harness.initialize(as: "solo")
        _ = try await harness.taskID(session: session, as: "solo")
        Self.expectQuotaError(try await harness.startTask(session: session, as: "solo"), naming: "concurrentTasks")
    }

    @Test func withoutAuthenticationLimitsApplyPerSessionAndPerClient() async throws {
        let app = try await TestApplication(catalog: RESTHarness.catalog) {
            $0.defaultLimits = PrincipalLimits(concurrentTasks: 4, queuedTasks: 4, submissionsPerMinute: 1)
        }
        let call: JSONValue = ["name": "sleep", "arguments": ["seconds": 0], "task": [:]]
        let one = try await app.initialize()
        let two = try await app.initialize()
        #expect(try await app.call("tools/call", call, session: one)["result"] != nil)
        Self.expectQuotaError(try await app.call("tools/call", call, session: one), naming: "submissionsPerMinute")
        #expect(try await app.call("tools/call", call, session: two)["result"] != nil)

        func rest(_ remote: String) async -> HTTPResponse {
            await app.send(
                HTTPRequest(
                    method: "POST", target: "/api/tools/sleep/call?task=true",
                    headers: ["Host": "127.0.0.1:8080", "Content-Type": "application/json"],
                    body: Array(#"{"seconds": 0}"#.utf8), remoteAddress: remote))
        }
        #expect(await rest("10.0.0.1:1000").status == 202)
        #expect(await rest("10.0.0.1:1001").status == 429)  // same client, another connection
        #expect(await rest("10.0.0.2:1000").status == 202)
    }

    @Test func priorityIsClampedToTheCallersCeiling() async throws {
        let harness = try await AuthHarness.started()
        let alice = try await harness.initialize(as: "alice")
        let bob = try await harness.initialize(as: "bob")
        func priority(of response: JSONValue, as principal: String) async throws -> JSONValue? {
            let id = try #require(response["result"]?["task"]?["taskId"]?.stringValue)
            return await harness.send("GET", "/api/tasks/\(id)", as: principal).json["priority"]
        }
        let high = try await harness.startTask(session: alice, as: "alice", meta: ["io.errand/priority": 9])
        #expect(try await priority(of: high, as: "alice") == 5)
        let within = try await harness.startTask(session: alice, as: "alice", meta: ["io.errand/priority": 3])
        #expect(try await priority(of: within, as: "alice") == 3)
        let low = try await harness.startTask(session: alice, as: "alice", meta: ["io.errand/priority": -2])
        #expect(try await priority(of: low, as: "alice") == -2)
        let bobs = try await harness.startTask(session: bob, as: "bob", meta: ["io.errand/priority": 3])
        #expect(try await priority(of: bobs, as: "bob") == 0)
        let bad = try await harness.startTask(session: bob, as: "bob", meta: ["io.errand/priority": "high"])
        #expect(bad["error"]?["code"] == -32602)
        let rest = await harness.send(
            "POST", "/api/tools/sleep/call?task=true&priority=9", as: "alice", body: #"{"seconds": 0}"#)
        #expect(rest.json["priority"] == 5)
        let open = try await RESTHarness.started()
        let anonymous = await open.send("POST", "/api/tools/sleep/call?task=true&priority=7", body: #"{"seconds": 0}"#)
        #expect(anonymous.json["priority"] == 0)
    }
}
