import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Logging
import Testing

/// The REST router: discovery, routing errors, the Origin guard, readiness and metrics.
@Suite(.shutsDownApplications) struct RESTAPITests {
    @Test func listsToolsWithTheirEffectiveTaskMode() async throws {
        let app = try await RESTHarness.started()
        let response = await app.send("GET", "/api/tools")
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "application/json")
        let tools = try #require(response.json["tools"]?.arrayValue)
        let modes = Dictionary(
            uniqueKeysWithValues: tools.map { ($0["name"]?.stringValue ?? "", $0["taskSupport"]?.stringValue ?? "") })
        #expect(modes["echo"] == "forbidden")
        #expect(modes["sleep"] == "optional")
        #expect(modes["must_task"] == "required")
        #expect(tools.first?["inputSchema"]?["type"] == "object")
    }

    @Test func describesOneToolAndRefusesUnknownOnes() async throws {
        let app = try await RESTHarness.started()
        let known = await app.send("GET", "/api/tools/sleep")
        #expect(known.status == 200)
        #expect(known.json["name"] == "sleep")
        let unknown = await app.send("GET", "/api/tools/nope")
        #expect(unknown.status == 404)
        #expect(unknown.headers["Content-Type"] == "application/problem+json")
        #expect(unknown.json["status"] == 404)
        #expect(unknown.json["detail"]?.stringValue?.contains("sleep") == true)
    }

    @Test func unknownRouteIsAProblem() async throws {
        let app = try await RESTHarness.started()
        for target in ["/api/nope", "/api/tasks/x/y/z", "/api/", "/api"] {
            let response = await app.send("GET", target)
            #expect(response.status == 404, "\(target)")
            #expect(response.json["title"] == "Not Found")
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        let app = try await RESTHarness.started()
        let response = await app.send("DELETE", "/api/tools")
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "GET")
        let call = await app.send("GET", "/api/tools/echo/call")
        #expect(call.status == 405)
        #expect(call.headers["Allow"] == "POST")
        let task = await app.send("PUT", "/api/tasks/abc")
        #expect(task.headers["Allow"] == "GET, DELETE")
    }

    @Test func foreignOriginIsRefusedWithAProblem() async throws {
        let app = try await RESTHarness.started()
        let response = await app.send("GET", "/api/tools", headers: ["Origin": "https://evil.example"])
        #expect(response.status == 403)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        let same = await app.send("GET", "/api/tools", headers: ["Origin": "http://localhost:8080"])
        #expect(same.status == 200)
    }

    /// Regression: `Origin: null` skipped the check, so a sandboxed iframe on any site could start tools with a
    /// "simple" (no preflight) text/plain POST.
    @Test func opaqueNullOriginIsRefused() async throws {
        let app = try await RESTHarness.started()
        let call = await app.send(
            "POST", "/api/tools/echo/call", body: #"{"text":"csrf"}"#,
            headers: ["Origin": "null", "Content-Type": "text/plain"])
        #expect(call.status == 403)
        let listed = RequestGuard(allowedHosts: RequestGuard.loopbackHosts, allowedOrigins: ["null"])
        let request = HTTPRequest(
            method: "GET", target: "/api/tools", headers: ["Host": "127.0.0.1:8080", "Origin": "null"])
        #expect(listed.check(request) == nil)
    }

    @Test func readinessFollowsTheEngine() async throws {
        let app = RESTHarness.make()
        #expect(await app.send("GET", "/readyz").status == 503)
        try await app.application.start()
        #expect(await app.send("GET", "/readyz").status == 200)
        await app.application.shutdown()
    }

    @Test func metricsCountTasksAndResponses() async throws {
        let app = try await RESTHarness.started()
        let created = await app.send("POST", "/api/tools/sleep/call?task=true", body: #"{"seconds": 0}"#)
        #expect(created.status == 202)
        _ = await app.send("GET", "/api/tasks/\(created.taskID)/result?wait=5s")
        _ = await app.send("GET", "/api/nope")
        let response = await app.send("GET", "/metrics")
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = response.text
        #expect(text.contains("errand_tasks{status=\"completed\"} 1"))
        #expect(text.contains("errand_http_requests_total{status=\"202\"} 1"))
        #expect(text.contains("errand_http_requests_total{status=\"404\"} 1"))
        #expect(text.contains("errand_task_submit_seconds_count 1"))
        #expect(text.contains("errand_queue_depth "))
        #expect(text.contains("errand_mcp_sessions 0"))
        #expect(text.contains("# TYPE errand_task_run_seconds histogram"))
    }

    @Test func servesItsOpenAPIDocumentWhenPresent() async throws {
        let app = try await RESTHarness.started()
        let response = await app.send("GET", "/api/openapi.yaml")
        // The test runs from the package root, where openapi.yaml lives beside Public/.
        #expect(response.status == 200 || response.status == 404)
        if response.status == 200 { #expect(response.text.hasPrefix("openapi: 3.1")) }
    }
}

/// An in-process application with a small catalog, driven through `ErrandApplication.reply(to:)`.
struct RESTHarness {
    let application: ErrandApplication

    static let catalog: Catalog = {
        var catalog = Catalog(defaultTaskSupport: .optional)
        catalog.add(
            Tool(
                name: "echo", description: "Returns `text`.", inputSchema: .object(["text": .string()]),
                taskSupport: .forbidden
            ) { arguments, _ in .text((try? arguments.string("text")) ?? "") })
        catalog.add(
            Tool(
                name: "sleep", description: "Sleeps `seconds`.",
                inputSchema: .object(["seconds": .number(minimum: 0)], required: ["seconds"])
            ) { arguments, context in
                let seconds = try arguments.double("seconds")
                await context.progress(0, total: 1, message: "sleeping")
                try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                return .text("slept")
            })
        catalog.add(
            Tool(name: "must_task", description: "Only as a task.", taskSupport: .required) { _, _ in .text("done") }
        )
        catalog.add(
            Tool(name: "fail", description: "Fails.") { _, _ in throw ToolError("broken on purpose") })
        catalog.add(
            Tool(
                name: "login", description: "Has a secret argument.",
                inputSchema: .object(["user": .string(), "token": .string()]), redactedArguments: ["token"]
            ) { _, _ in .text("logged in") })
        return catalog
    }()

    static func make(
        clock: any EngineClock = SystemEngineClock(), _ configure: (inout ErrandConfiguration) -> Void = { _ in }
    ) -> RESTHarness {
        var configuration = ErrandConfiguration()
        configuration.publicDirectory = nil
        configure(&configuration)
        let application = ErrandApplication(
            configuration: configuration, catalog: catalog, store: MemoryTaskStore(), clock: clock,
            logger: Logger(label: "rest-tests"))
        return RESTHarness(application: application)
    }

    static func started(
        clock: any EngineClock = SystemEngineClock(), _ configure: (inout ErrandConfiguration) -> Void = { _ in }
    ) async throws -> RESTHarness {
        let harness = make(clock: clock, configure)
        try await harness.application.start()
        StartedApplications.register(harness.application)
        return harness
    }

    func request(_ method: String, _ target: String, body: String = "", headers: HTTPHeaders = [:]) -> HTTPRequest {
        var allHeaders: HTTPHeaders = ["Host": "localhost:8080"]
        for field in headers { allHeaders.set(field.name, field.value) }
        if !body.isEmpty { allHeaders.set("Content-Type", "application/json") }
        return HTTPRequest(method: method, target: target, headers: allHeaders, body: Array(body.utf8))
    }

    func send(_ method: String, _ target: String, body: String = "", headers: HTTPHeaders = [:]) async
        -> HTTPResponse
    {
        switch application.reply(to: request(method, target, body: body, headers: headers)) {
        case .immediate(let response): return response
        case .deferred(let later): return await later()
        }
    }

    /// Starts `tool` as a task and returns its id.
    func start(_ tool: String, _ arguments: String = "{}") async -> String {
        await send("POST", "/api/tools/\(tool)/call?task=true", body: arguments).taskID
    }
}

extension HTTPResponse {
    var bytes: [UInt8] {
        if case .bytes(let bytes) = body { return bytes }
        return []
    }
    var text: String { String(decoding: bytes, as: UTF8.self) }
    var json: JSONValue { (try? JSONParser.parse(bytes)) ?? .null }
    var taskID: String { json["id"]?.stringValue ?? "" }
    var stream: SSEStream? {
        if case .eventStream(let stream) = body { return stream }
        return nil
    }
}
