import ErrandEngine
import ErrandHTTP
import ErrandProtocol

extension RESTAPI {
    /// `GET /api/tools`: tools with their effective task mode, and the resources and prompts.
    func listTools(_ requester: TaskOwner) -> HTTPResponse {
        Self.json([
            "tools": .array(catalog.tools(visibleTo: requester).map(toolJSON)),
            "resources": .array(catalog.resources.map(\.listing)),
            "prompts": .array(catalog.prompts.map(\.listing)),
        ])
    }

    /// `GET /api/tools/{name}`.
    func describeTool(_ name: String, _ requester: TaskOwner) -> HTTPResponse {
        guard let tool = catalog.tool(named: name, visibleTo: requester) else {
            return unknownTool(name, requester).response
        }
        return Self.json(toolJSON(tool))
    }

    func toolJSON(_ tool: Tool) -> JSONValue {
        var entry: [String: JSONValue] = [
            "name": .string(tool.name), "description": .string(tool.description), "inputSchema": tool.inputSchema.json,
            "taskSupport": .string(catalog.taskSupport(of: tool).rawValue),
        ]
        if let title = tool.title { entry["title"] = .string(title) }
        if let outputSchema = tool.outputSchema { entry["outputSchema"] = outputSchema }
        if let pollIntervalMs = tool.pollIntervalMs { entry["pollIntervalMs"] = .int(pollIntervalMs) }
        return .object(entry)
    }

    func unknownTool(_ name: String, _ requester: TaskOwner) -> Problem {
        let names = catalog.tools(visibleTo: requester).map(\.name).joined(separator: ", ")
        return .notFound("There is no tool named '\(name)'. Tools: \(names).")
    }

    /// `POST /api/tools/{name}/call`: runs the tool now (200, `CallToolResult`) or, with `?task=true` or
    /// `Prefer: respond-async`, starts it as a task (202 and `Location`).
    func callTool(_ name: String, _ request: HTTPRequest, _ query: QueryParameters, _ caller: Caller) -> HTTPReply {
        do {
            var prepared = try prepareCall(name, request, query, caller.restOwner)
            prepared.arguments = SecretScrubber.scrub(prepared.arguments, secret: caller.token)
            prepared.priority = caller.clampedPriority(prepared.priority)
            let call = prepared
            if call.asTask {
                return Self.deferred { [self] () throws(Problem) in try await submit(call, caller: caller) }
            }
            return .deferred { [self] in
                let context = ToolContext(logger: logger, progress: { _ in })
                let output = await runner.callTool(call.tool, arguments: call.arguments, context: context)
                return Self.json(output.callToolResult)
            }
        } catch {
            return .immediate(error.response)
        }
    }

    struct PreparedCall: Sendable {
        var tool: Tool
        var arguments: JSONValue
        var asTask: Bool
        var ttlMs: Int64?
        var priority: Int
    }

    /// Everything about a call that can be refused without running anything, in the order a person fixes it.
    func prepareCall(_ name: String, _ request: HTTPRequest, _ query: QueryParameters, _ requester: TaskOwner)
        throws(Problem) -> PreparedCall
    {
        guard let tool = catalog.tool(named: name, visibleTo: requester) else { throw unknownTool(name, requester) }
        let asTask = try Self.wantsTask(request, query)
        let ttlMs = try query["ttl"].map { text throws(Problem) in
            guard let value = Int64(text), value >= 0 else {
                throw .badRequest("'ttl' must be a non-negative integer number of milliseconds, e.g. ttl=600000.")
            }
            return value
        }
        let priority = try query["priority"].map { text throws(Problem) in
            guard let value = Int(text), abs(value) <= 1_000_000 else {
                throw .badRequest("'priority' must be an integer between -1000000 and 1000000 (higher runs first).")
            }
            return value
        }
        let arguments: JSONValue
        if request.body.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) {
            arguments = [:]
        } else {
            do {
                arguments = try JSONParser.parse(request.body)
            } catch {
                throw .badRequest("The body must be a JSON object of the tool's arguments: \(error).")
            }
        }
        guard arguments.objectValue != nil else {
            throw .badRequest(
                "The body must be a JSON object of the tool's arguments (e.g. {\"duration\": 3}), not \(arguments.typeName)."
            )
        }
        switch (catalog.taskSupport(of: tool), asTask) {
        case (.required, false):
            throw .conflict("Tool '\(name)' runs only as a task: add ?task=true (or the header Prefer: respond-async).")
        case (.forbidden, true):
            throw .conflict(
                "Tool '\(name)' cannot run as a task: call it without ?task=true to get its result at once.")
        default:
            break
        }
        let problems = tool.argumentProblems(arguments)
        guard problems.isEmpty else {
            throw Problem(
                422, "Invalid arguments for tool '\(name)': \(problems.joined(separator: "; ")).",
                extensions: ["problems": .array(problems.map { .string($0) })])
        }
        return PreparedCall(tool: tool, arguments: arguments, asTask: asTask, ttlMs: ttlMs, priority: priority ?? 0)
    }

    /// `?task=true|false` wins; otherwise `Prefer: respond-async` asks for a task.
    static func wantsTask(_ request: HTTPRequest, _ query: QueryParameters) throws(Problem) -> Bool {
        if let flag = query["task"] {
            switch flag.lowercased() {
            case "true", "1", "yes", "": return true
            case "false", "0", "no": return false
            default: throw .badRequest("'task' must be true or false, not '\(flag)'.")
            }
        }
        return request.headers.values("Prefer").contains { value in
            value.split(separator: ",").contains { $0.split(separator: ";")[0].trimmingWhitespace() == "respond-async" }
        }
    }

    /// Submits a prepared call (priority already clamped): 202, `Location` and the task; 429 over a limit.
    func submit(_ call: PreparedCall, caller: Caller) async throws(Problem) -> HTTPResponse {
        let owner = caller.restOwner
        let submission = TaskSubmission(
            kind: .toolCall, target: call.tool.name, arguments: call.arguments, owner: owner,
            requestedTTLMs: call.ttlMs, pollIntervalMs: call.tool.pollIntervalMs, priority: call.priority,
            limits: caller.ownerLimits)
        let clock = ContinuousClock()
        let start = clock.now
        let record: TaskRecord
        do throws(TaskEngineError) {
            try SubmissionRateLimiter.check(mcp.submissionRate, owner: owner, limits: caller.limits)
            record = try await engine.submit(submission)
        } catch {
            throw .engine(error)
        }
        let elapsed = clock.now - start
        metrics.submitLatency.observe(
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        let location = "/api/tasks/\(TaskRecord.pathSegment(record.id.rawValue))"
        return Self.json(
            taskJSON(record), status: 202, headers: ["Location": location, "Preference-Applied": "respond-async"])
    }
}
