import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Logging
import Synchronization

extension MCPServer {
    /// `params.task` of a task-augmented request, when the session negotiated Tasks.
    struct TaskParameters {
        var ttlMs: Int64?
    }

    /// Reads `params.task`. Sessions without the Tasks revision ignore it, as the spec requires.
    func taskParameters(_ params: JSONValue, session: MCPSession) throws(JSONRPCError) -> TaskParameters? {
        guard session.supportsTasks, let task = params["task"] else { return nil }
        guard task.objectValue != nil else { throw .invalidParams("'task' must be an object, e.g. {\"ttl\": 60000}") }
        guard let ttl = task["ttl"], !ttl.isNull else { return TaskParameters(ttlMs: nil) }
        guard let value = ttl.intValue, value >= 0 else {
            throw .invalidParams("'task.ttl' must be a non-negative integer number of milliseconds")
        }
        return TaskParameters(ttlMs: value)
    }

    /// The decision table of task support (docs/mcp-protocol.md §5.3): `-32601` both ways.
    func enforce(_ mode: TaskSupport, task: TaskParameters?, session: MCPSession, noun: String) throws(JSONRPCError) {
        guard session.supportsTasks else { return }
        if mode == .required, task == nil {
            throw .methodNotFound("This \(noun) requires task-augmented invocation: add \"task\": {} to the params")
        }
        if mode == .forbidden, task != nil {
            throw .methodNotFound("This \(noun) does not support task-augmented invocation")
        }
    }

    /// `_meta` key of the priority a `tools/call` (or other task-augmented request) asks for.
    static let priorityMetaKey = "io.errand/priority"

    /// Creates a task and answers `CreateTaskResult` at once. The priority in `_meta` is clamped to the
    /// caller's `maxPriority`; of `_meta` only `progressToken` is kept with the task.
    func createTask(
        id: JSONRPCID, kind: TaskKind, target: String, arguments: JSONValue, params: JSONValue,
        task: TaskParameters, pollIntervalMs: Int64?, session: MCPSession, caller: Caller
    ) async throws(JSONRPCError) -> JSONRPCMessage {
        var priority = 0
        if let requested = params["_meta"]?[Self.priorityMetaKey], !requested.isNull {
            guard let value = requested.intValue else {
                throw .invalidParams("'_meta.\(Self.priorityMetaKey)' must be an integer (higher runs first)")
            }
            priority = caller.clampedPriority(Int(clamping: value))
        }
        let submission = TaskSubmission(
            kind: kind, target: target, arguments: arguments, owner: session.owner, requestedTTLMs: task.ttlMs,
            pollIntervalMs: pollIntervalMs, priority: priority, requestMeta: Self.storedMeta(params["_meta"]),
            limits: caller.ownerLimits)
        let record: TaskRecord
        do {
            try SubmissionRateLimiter.check(submissionRate, owner: session.owner, limits: caller.limits)
            record = try await engine.submit(submission)
        } catch {
            throw Self.rpcError(error)
        }
        logger.debug("task created", metadata: ["task": "\(record.id)", "target": "\(target)"])
        return .result(
            id: id,
            result: [
                "task": record.mcpTask,
                "_meta": [
                    "io.modelcontextprotocol/model-immediate-response": .string(
                        "Started \(target) as background task \(record.id.rawValue).")
                ],
            ])
    }

    /// What of a request's `_meta` is stored with its task: the progress token, nothing else.
    static func storedMeta(_ meta: JSONValue?) -> JSONValue? {
        guard let token = meta?["progressToken"] else { return nil }
        return ["progressToken": token]
    }

    func callTool(id: JSONRPCID, params: JSONValue, session: MCPSession, caller: Caller, acceptsEventStream: Bool)
        async throws(JSONRPCError) -> Reply
    {
        guard let name = params["name"]?.stringValue else { throw .invalidParams("tools/call needs a string 'name'") }
        guard let tool = catalog.tool(named: name, visibleTo: session.owner) else {
            throw .invalidParams("Unknown tool: \(name)", data: ["name": .string(name)])
        }
        let arguments = params["arguments"] ?? [:]
        guard arguments.objectValue != nil else { throw .invalidParams("'arguments' must be an object") }
        let task = try taskParameters(params, session: session)
        try enforce(catalog.taskSupport(of: tool), task: task, session: session, noun: "tool")
        if let task {
            // A task is created only for arguments that can run: a bad value is refused now, naming the field.
            let problems = tool.argumentProblems(arguments)
            guard problems.isEmpty else {
                throw .invalidParams(
                    "Invalid arguments for tool '\(name)': \(problems.joined(separator: "; "))",
                    data: ["problems": .array(problems.map { .string($0) })])
            }
            return .message(
                try await createTask(
                    id: id, kind: .toolCall, target: name, arguments: arguments, params: params, task: task,
                    pollIntervalMs: tool.pollIntervalMs, session: session, caller: caller))
        }
        let progressToken = params["_meta"]?["progressToken"]
        if progressToken == nil, acceptsEventStream, session.declares("elicitation") {
            return await callToolAskingInput(id: id, tool: tool, arguments: arguments, session: session)
        }
        if let progressToken, acceptsEventStream {
            return .stream(
                streamToolCall(id: id, tool: tool, arguments: arguments, token: progressToken, session: session))
        }
        let context = ToolContext(logger: logger, progress: { _ in })
        let output: ToolOutput? = await runCancellable(id: id, session: session) {
            await self.runner.callTool(tool, arguments: arguments, context: context)
        }
        guard let output else { return .none }
        return .message(.result(id: id, result: output.callToolResult))
    }

    /// A plain call whose progress notifications and result travel on one event stream.
    func streamToolCall(id: JSONRPCID, tool: Tool, arguments: JSONValue, token: JSONValue, session: MCPSession)
        -> SSEStream
    {
        let stream = SSEStream()
        let context = ToolContext(
            logger: logger,
            progress: { progress in
                stream.send(MCPSession.event(progress.progressNotification(token: token)))
            },
            input: { request in try await self.askInline(request, on: stream, session: session) })
        // Registered before the work starts, so its unregister can never run first and leave a stale entry.
        let handle = RequestHandle()
        session.register(id) { handle.cancel() }
        handle.attach(
            Task {
                let output = await self.runner.callTool(tool, arguments: arguments, context: context)
                session.unregister(id)
                if !Task.isCancelled {
                    stream.send(MCPSession.event(.result(id: id, result: output.callToolResult)))
                }
                stream.finish()
            })
        return stream
    }

    /// Runs `body` so that `notifications/cancelled` for `id` cancels it; `nil` when it was cancelled.
    func runCancellable<T: Sendable>(id: JSONRPCID, session: MCPSession, _ body: @escaping @Sendable () async -> T)
        async -> T?
    {
        let work = Task { await body() }
        session.register(id) { work.cancel() }
        let value = await work.value
        session.unregister(id)
        return work.isCancelled ? nil : value
    }

    func readResource(id: JSONRPCID, params: JSONValue, session: MCPSession, caller: Caller)
        async throws(JSONRPCError) -> Reply
    {
        guard let uri = params["uri"]?.stringValue else { throw .invalidParams("resources/read needs a string 'uri'") }
        guard let resource = catalog.resource(uri: uri) else {
            throw JSONRPCError(
                code: JSONRPCError.resourceNotFoundCode, message: "Resource not found", data: ["uri": .string(uri)])
        }
        let task = try taskParameters(params, session: session)
        try enforce(resource.taskSupport, task: task, session: session, noun: "resource")
        if let task {
            return .message(
                try await createTask(
                    id: id, kind: .resourceRead, target: uri, arguments: [:], params: params, task: task,
                    pollIntervalMs: nil, session: session, caller: caller))
        }
        return await runInline(id: id, kind: .resourceRead, target: uri, arguments: [:], session: session)
    }

    func getPrompt(id: JSONRPCID, params: JSONValue, session: MCPSession, caller: Caller)
        async throws(JSONRPCError) -> Reply
    {
        guard let name = params["name"]?.stringValue else { throw .invalidParams("prompts/get needs a string 'name'") }
        guard let prompt = catalog.prompt(named: name) else { throw .invalidParams("Unknown prompt: \(name)") }
        let arguments = params["arguments"] ?? [:]
        guard let members = arguments.objectValue else { throw .invalidParams("'arguments' must be an object") }
        for argument in prompt.arguments where argument.required && members[argument.name] == nil {
            throw .invalidParams("Missing required argument '\(argument.name)' for prompt \(name)")
        }
        let task = try taskParameters(params, session: session)
        try enforce(prompt.taskSupport, task: task, session: session, noun: "prompt")
        if let task {
            return .message(
                try await createTask(
                    id: id, kind: .promptGet, target: name, arguments: arguments, params: params, task: task,
                    pollIntervalMs: nil, session: session, caller: caller))
        }
        return await runInline(id: id, kind: .promptGet, target: name, arguments: arguments, session: session)
    }

    /// Runs a resource read or prompt as a plain request through the same runner tasks use, cancellable by
    /// `notifications/cancelled` like a tool call.
    private func runInline(id: JSONRPCID, kind: TaskKind, target: String, arguments: JSONValue, session: MCPSession)
        async -> Reply
    {
        let now = clock.nowMs()
        let record = TaskRecord(
            id: TaskID("inline"), owner: session.owner, kind: kind, target: target, arguments: arguments,
            status: .working, createdAt: now, lastUpdatedAt: now, ttlMs: nil, pollIntervalMs: 0)
        let context = TaskContext(
            taskID: record.id, attempt: 1, reportProgress: { _ in },
            requestInput: { _ in throw ToolError("Plain requests cannot ask for input") })
        let runner = self.runner
        guard
            let result = await runCancellable(id: id, session: session, { await runner.run(record, context: context) })
        else { return .none }
        switch result.outcome {
        case .result(let value): return .message(.result(id: id, result: value))
        case .error(let error): return .message(.error(id: id, error: error))
        }
    }
}

/// A plain request's work, cancellable from the moment it is registered — even before its Task exists.
final class RequestHandle: Sendable {
    private let state = Mutex<(task: Task<Void, Never>?, cancelled: Bool)>((nil, false))

    func cancel() {
        let task = state.withLock { state -> Task<Void, Never>? in
            state.cancelled = true
            return state.task
        }
        task?.cancel()
    }

    func attach(_ task: Task<Void, Never>) {
        let cancelled = state.withLock { state -> Bool in
            state.task = task
            return state.cancelled
        }
        if cancelled { task.cancel() }
    }
}
