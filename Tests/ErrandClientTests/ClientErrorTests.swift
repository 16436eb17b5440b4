import ErrandClient
import ErrandProtocol
import Foundation
import Testing

@Suite struct ClientErrorTests {
    @Test func anUnreachableServerIsReportedAsSuch() async throws {
        // Port 1 on loopback: nothing listens there.
        let client = MCPClient(url: URL(string: "http://127.0.0.1:1/mcp")!)
        await #expect {
            try await client.connect()
        } throws: { error in
            guard case MCPClientError.unreachable = error else { return false }
            return true
        }
    }

    @Test func aPlainCallMayOutlastTheRequestTimeoutButNotTheCallTimeout() async throws {
        try await withErrand { errand in
            var configuration = MCPClientConfiguration(url: errand.url)
            // 5 s for each request, connecting included: this test shares two cores with the whole suite running
            // in parallel, and 1–2 s failed there while connecting. 20 s for a call, which sleeps past the 5 s.
            configuration.limits.requestTimeout = .seconds(5)
            configuration.limits.callTimeout = .seconds(20)
            let patient = MCPClient(configuration: configuration)
            let result = try await patient.callTool("sleep", arguments: ["seconds": 5.5])
            #expect(result.text == "slept 5.5")
            configuration.limits.callTimeout = .seconds(1)
            let hasty = MCPClient(configuration: configuration)
            await #expect {
                try await hasty.callTool("sleep", arguments: ["seconds": 3])
            } throws: { error in
                guard case MCPClientError.unreachable(let detail) = error else { return false }
                return detail.contains("no answer in time")
            }
        }
    }

    @Test func anUnknownToolIsRefused() async throws {
        try await withErrand { errand in
            let client = errand.client(nil)
            await #expect {
                try await client.callTool("no_such_tool")
            } throws: { error in
                guard case MCPClientError.rejected(let rpc) = error else { return false }
                return rpc.code == -32602
            }
        }
    }

    @Test func theTaskLogComesFromErrandsRESTEndpoint() async throws {
        try await withErrand { errand in
            let client = errand.client(nil)
            let task = try await startTask(client, "slow_computation", ["duration": 1])
            let log = ErrandTaskLog(configuration: client.configuration)
            #expect(log.url(of: task.id).path == "/api/tasks/\(task.id)/log")
            var lines: [TaskLogLine] = []
            for try await line in log.follow(task.id) { lines.append(line) }
            _ = try await task.outcome()
            let text = try await log.text(of: task.id)
            #expect(text.split(separator: "\n").count == lines.count)
            await #expect(throws: MCPClientError.self) { try await log.text(of: "no-such-task") }
        }
    }
}
