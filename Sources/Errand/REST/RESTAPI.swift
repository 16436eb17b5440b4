import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Logging
import Synchronization

/// The REST API under `/api/` (see `openapi.yaml`), plus `/readyz` and `/metrics`: a view of the same engine
/// the MCP endpoint uses, for curl, scripts and the dashboard.
final class RESTAPI: Sendable {
    var catalog: Catalog { mcp.catalog }
    let engine: any TaskService
    let mcp: MCPServer
    let runner: CatalogRunner
    let metrics: Metrics
    /// The last hour, second by second, for the dashboard's charts (`GET /api/stats/series`).
    let series: TaskSeries
    let seriesRecorder: TaskSeriesRecorder
    let streamLimits: SSEStream.Limits
    let logger: Logger
    /// Longest `?wait=` a result request may block.
    let maxResultWait: Duration = .seconds(60)
    /// `openapi.yaml` as read at start, served at `/api/openapi.yaml`; `nil` if it was not found.
    let openAPIDocument: [UInt8]?
    private let ready = Atomic<Bool>(false)
    /// The event being fanned out, rendered and encoded once for every `/api/events` subscriber.
    let renderedEvent = Mutex<(sequence: UInt64, event: SSEEvent)?>(nil)

    /// - Parameter openAPIPath: where `openapi.yaml` is (by default beside the dashboard's directory).
    init(mcp: MCPServer, streamLimits: SSEStream.Limits, openAPIPath: String, logger: Logger) {
        self.engine = mcp.engine
        self.mcp = mcp
        self.runner = CatalogRunner(liveCatalog: mcp.liveCatalog, logger: logger)
        self.metrics = Metrics()
        self.streamLimits = streamLimits
        self.logger = logger
        self.openAPIDocument = StaticFiles.read(openAPIPath)
        metrics.observe(engine.events)
        self.series = TaskSeries()
        self.seriesRecorder = TaskSeriesRecorder(series: series)
        seriesRecorder.start(engine, clock: SystemEngineClock())
    }

    /// Marks the engine started (`/readyz` answers 200) or stopping (503).
    func setReady(_ value: Bool) { ready.store(value, ordering: .releasing) }
    var isReady: Bool { ready.load(ordering: .acquiring) }

    /// Routes one `/api/...` request from `caller` (see ``Caller/restOwner`` for whom its tasks belong to).
    func reply(to request: HTTPRequest, caller: Caller) -> HTTPReply {
        let requester = caller.restOwner
        let segments = request.path.dropFirst("/api/".count).split(separator: "/", omittingEmptySubsequences: false)
            .map { QueryParameters.decode($0, plusIsSpace: false) }
        let query = QueryParameters(request.query)
        let method = request.method
        func allow(_ methods: String..., then body: () -> HTTPReply) -> HTTPReply {
            guard methods.contains(method) else {
                return .immediate(Problem.methodNotAllowed(method, path: request.path, allow: methods).response)
            }
            return body()
        }
        switch segments.count {
        case 1 where segments[0] == "tools":
            return allow("GET") { .immediate(listTools(requester)) }
        case 1 where segments[0] == "tasks":
            return allow("GET") { listTasks(query, requester) }
        case 1 where segments[0] == "openapi.yaml":
            return allow("GET") { .immediate(openAPI()) }
        case 1 where segments[0] == "events":
            return allow("GET") { .immediate(events(request, query, requester)) }
        case 1 where segments[0] == "stats":
            return allow("GET") { stats(requester) }
        case 1 where segments[0] == "cluster":
            return allow("GET") { cluster() }
        case 2 where segments[0] == "stats" && segments[1] == "series":
            return allow("GET") { .immediate(statsSeries(query)) }
        case 2 where segments[0] == "tools" && !segments[1].isEmpty:
            return allow("GET") { .immediate(describeTool(segments[1], requester)) }
        case 3 where segments[0] == "tools" && segments[2] == "call" && !segments[1].isEmpty:
            return allow("POST") { callTool(segments[1], request, query, caller) }
        case 2 where segments[0] == "tasks" && !segments[1].isEmpty:
            let id = TaskID(segments[1])
            return allow("GET", "DELETE") { method == "GET" ? getTask(id, requester) : deleteTask(id, requester) }
        case 3 where segments[0] == "tasks" && segments[2] == "result" && !segments[1].isEmpty:
            return allow("GET") { taskResult(TaskID(segments[1]), query, requester) }
        case 3 where segments[0] == "tasks" && segments[2] == "input" && !segments[1].isEmpty:
            return allow("POST") { answerInput(TaskID(segments[1]), request, caller) }
        case 3 where segments[0] == "tasks" && segments[2] == "log" && !segments[1].isEmpty:
            return allow("GET") { taskLog(TaskID(segments[1]), request, query, requester) }
        case 3 where segments[0] == "tasks" && segments[2] == "cancel" && !segments[1].isEmpty:
            return allow("POST") { cancelTask(TaskID(segments[1]), requester) }
        default:
            return .immediate(
                Problem.notFound(
                    "There is no API route \(request.path). Routes: /api/tools, /api/tools/{name}/call, /api/tasks, "
                        + "/api/tasks/{id}, /api/tasks/{id}/result, /api/tasks/{id}/log, /api/tasks/{id}/input, "
                        + "/api/tasks/{id}/cancel, /api/events, /api/stats, /api/stats/series, /api/cluster "
                        + "(described in /api/openapi.yaml)."
                ).response)
        }
    }

    /// Where `openapi.yaml` sits for a dashboard directory: beside it (`Public` → `openapi.yaml`).
    static func openAPIPath(publicDirectory: String?) -> String {
        guard let directory = publicDirectory, let slash = directory.lastIndex(of: "/") else { return "openapi.yaml" }
        return directory[..<slash] + "/openapi.yaml"
    }

    func openAPI() -> HTTPResponse {
        guard let openAPIDocument else {
            return Problem.notFound(
                "openapi.yaml was not found beside the dashboard directory when the server started."
            )
            .response
        }
        return HTTPResponse(
            status: 200, contentType: "application/yaml", body: openAPIDocument, headers: ["Cache-Control": "no-cache"])
    }

    /// `GET /readyz`: 200 once the engine has started and while its store answers; 503 before, while shutting
    /// down, and while the store (a cluster's database) does not answer.
    func readiness() -> HTTPReply {
        guard isReady else { return .immediate(.text(503, "starting: the task engine is not running yet\n")) }
        return .deferred { [engine] in
            guard let since = await engine.storeUnreachableSinceMs() else { return .text(200, "ready\n") }
            return .text(
                503, "the task store has not answered since \(Timestamp.rfc3339(millisecondsSinceEpoch: since))\n")
        }
    }

    /// `GET /metrics` in the Prometheus text format.
    func metricsReply() -> HTTPReply {
        .deferred { [self] in
            let statistics = await engine.statistics()
            let text = metrics.render(
                statistics: statistics, subscribers: engine.events.subscriberCount, sessions: mcp.sessionCount,
                droppedBacklogMessages: mcp.droppedBacklogMessages, ready: isReady,
                storeReachable: await engine.storeUnreachableSinceMs() == nil)
            return HTTPResponse(
                status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Array(text.utf8))
        }
    }

    // MARK: helpers shared by the handlers

    /// A `200 application/json` (or other status) response.
    static func json(_ value: JSONValue, status: Int = 200, headers: HTTPHeaders = [:]) -> HTTPResponse {
        HTTPResponse(
            status: status, contentType: "application/json", body: JSONWriter.bytes(value, options: .sortedKeys),
            headers: headers)
    }

    /// The REST task JSON with the tool's secret arguments redacted.
    func taskJSON(_ record: TaskRecord) -> JSONValue {
        let redacted = record.kind == .toolCall ? catalog.tool(named: record.target)?.redactedArguments ?? [] : []
        return record.restJSON(redacting: redacted)
    }

    /// The text of a plain-text response (e.g. a ``RequestGuard`` refusal), for a problem's detail.
    static func text(of response: HTTPResponse) -> String {
        guard case .bytes(let bytes) = response.body else { return "" }
        var text = Substring(String(decoding: bytes, as: UTF8.self))
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return String(text)
    }

    /// Runs `body` later, turning a thrown ``Problem`` into its response.
    static func deferred(_ body: @escaping @Sendable () async throws(Problem) -> HTTPResponse) -> HTTPReply {
        .deferred {
            do throws(Problem) {
                return try await body()
            } catch {
                return error.response
            }
        }
    }
}
