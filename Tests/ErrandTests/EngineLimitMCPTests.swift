import Errand
import ErrandHTTP
import ErrandProtocol
import Testing

/// The engine-wide caps as clients see them: JSON-RPC `-32029` over MCP and 429 over REST, naming the limit.
/// Without authentication every MCP session is its own owner, so only these caps bound them together.
@Suite(.shutsDownApplications) struct EngineLimitMCPTests {
    static func sleepTask(_ app: TestApplication, session: String) async throws -> JSONValue {
        try await app.call(
            "tools/call", ["name": "sleep", "arguments": ["seconds": 30], "task": ["ttl": 600_000]], session: session)
    }

    @Test func sessionsTogetherMeetMaxActiveTasksAsMinus32029() async throws {
        let app = try await TestApplication { $0.engine.maxActiveTasks = 2 }
        for _ in 0..<2 {
            let session = try await app.initialize()
            let started = try await Self.sleepTask(app, session: session)
            #expect(started["result"]?["task"]?["taskId"]?.stringValue != nil, "\(started)")
        }
        let refused = try await Self.sleepTask(app, session: try await app.initialize())
        AuthQuotaTests.expectQuotaError(refused, naming: "maxActiveTasks")
        await app.app.shutdown()
    }

    @Test func maxQueuedTasksOverRESTIs429() async throws {
        let app = try await RESTHarness.started {
            $0.engine.maxConcurrentTasks = 1
            $0.engine.maxQueuedTasks = 1
        }
        for expected in [202, 202] {
            let accepted = await app.send("POST", "/api/tools/sleep/call?task=true", body: #"{"seconds": 30}"#)
            #expect(accepted.status == expected)
        }
        let refused = await app.send("POST", "/api/tools/sleep/call?task=true", body: #"{"seconds": 30}"#)
        #expect(refused.status == 429)
        #expect(Int(refused.headers["Retry-After"] ?? "") ?? 0 >= 1)
        #expect(refused.json["detail"]?.stringValue?.contains("maxQueuedTasks") == true, "\(refused.text)")
        await app.application.shutdown()
    }
}
