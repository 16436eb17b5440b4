import Errand
import ErrandDemo
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Logging

/// The whole request path without sockets: `ErrandApplication.reply(to:)` for a POST /mcp carrying a
/// task-augmented `tools/call` of `sleep` 0 (JSON parse, session lookup, MCP layer, engine, JSON write).
enum MCPLayerBenchmark {
    static func post(_ app: ErrandApplication, _ body: String, session: String?) async -> HTTPResponse {
        var headers: HTTPHeaders = [
            "Host": "127.0.0.1", "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
        ]
        if let session {
            headers.set("Mcp-Session-Id", session)
            headers.set("MCP-Protocol-Version", "2025-11-25")
        }
        let request = HTTPRequest(method: "POST", target: "/mcp", headers: headers, body: Array(body.utf8))
        switch app.reply(to: request) {
        case .immediate(let response): return response
        case .deferred(let body): return await body()
        }
    }

    static func bodyText(_ response: HTTPResponse) -> String {
        if case .bytes(let bytes) = response.body { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }

    /// Latency of `count` sequential task submits through the MCP layer.
    static func submit(count: Int) async throws -> LatencySummary {
        var configuration = ErrandConfiguration()
        configuration.publicDirectory = nil
        configuration.engine.maxActiveTasksPerOwner = 10_000_000
        let app = ErrandApplication(
            configuration: configuration, catalog: DemoCatalog.make(), store: MemoryTaskStore(),
            logger: EngineBenchmarks.quietLogger)
        try await app.start()
        let initialize = await post(
            app,
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","#
                + #""capabilities":{},"clientInfo":{"name":"errand-bench","version":"1"}}}"#,
            session: nil)
        guard let session = initialize.headers["Mcp-Session-Id"] else {
            throw BenchError("initialize gave no session: \(initialize.status) \(bodyText(initialize))")
        }
        _ = await post(app, #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, session: session)
        var samples: [Int64] = []
        samples.reserveCapacity(count)
        for id in 1...count {
            let body =
                #"{"jsonrpc":"2.0","id":"# + String(id)
                + #","method":"tools/call","params":{"name":"sleep","arguments":{"seconds":0},"task":{"ttl":86400000}}}"#
            let start = monotonicNanoseconds()
            let response = await post(app, body, session: session)
            samples.append(monotonicNanoseconds() - start)
            if id == 1 {
                let text = bodyText(response)
                guard response.status == 200, text.contains("\"taskId\"") else {
                    throw BenchError("tools/call did not create a task: \(response.status) \(text)")
                }
            }
        }
        await app.shutdown()
        return LatencySummary(samples)
    }
}
