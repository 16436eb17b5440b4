import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Logging

/// `tools/call` and the tasks extension's methods. The server decides per call: a client that declared the
/// extension gets a task for every tool that may run as one; any other client gets the result inline, or
/// -32021 for a tool that only runs as a task.
extension ModernMCPServer {
    func callTool(_ request: ModernMCPRequest, caller: Caller) async throws -> Reply {
        let params = request.params
        guard let name = params["name"]?.stringValue else {
            throw JSONRPCError.invalidParams("tools/call needs a string 'name'")
        }
        let catalog = self.catalog
        guard let tool = catalog.tool(named: name, visibleTo: owner(caller)) else {
            throw JSONRPCError.invalidParams("Unknown tool: \(name)", data: ["name": .string(name)])
        }
        let arguments = params["arguments"] ?? [:]
        guard arguments.objectValue != nil else { throw JSONRPCError.invalidParams("'arguments' must be an object") }
        let support = catalog.taskSupport(of: tool)
        if request.declaresTasks, support != .forbidden {
            // A task is created only for arguments that can run: a bad value is refused now, naming the field.
            let problems = tool.argumentProblems(arguments)
            guard problems.isEmpty else {
                throw JSONRPCError.invalidParams(
                    "Invalid arguments for tool '\(name)': \(problems.joined(separator: "; "))",
                    data: ["problems": .array(problems.map { .string($0) })])
            }
            return .result(
                request.id, try await submit(tool: tool, arguments: arguments, request: request, caller: caller))
        }
        guard support != .required else {
            throw ModernMCP.extensionRequired(
                "Tool '\(name)' only runs as a task: declare the \(ModernMCP.tasksExtension) extension in "
                    + "_meta[\"\(ModernMCP.MetaKey.clientCapabilities)\"].extensions")
        }
        // Inline: the client is waiting on this response, so the tool cannot ask it anything.
        let output = await runner.callTool(
            tool, arguments: arguments, context: ToolContext(logger: logger, progress: { _ in }))
        return .result(request.id, output.callToolResult.setting("resultType", to: "complete"))
    }

    /// Submits the call as a task and answers the flat `CreateTaskResult` once the engine has stored it (so a
    /// `tasks/get` for the id succeeds from then on).
    private func submit(tool: Tool, arguments: JSONValue, request: ModernMCPRequest, caller: Caller)
        async throws(JSONRPCError) -> JSONValue
    {
        var priority = 0
        if let requested = request.params["_meta"]?[MCPServer.priorityMetaKey], !requested.isNull {
            guard let value = requested.intValue else {
                throw .invalidParams("'_meta.\(MCPServer.priorityMetaKey)' must be an integer (higher runs first)")
            }
            priority = caller.clampedPriority(Int(clamping: value))
        }
        let owner = owner(caller)
        let submission = TaskSubmission(
            kind: .toolCall, target: tool.name, arguments: arguments, owner: owner, requestedTTLMs: nil,
            pollIntervalMs: tool.pollIntervalMs, priority: priority, requestMeta: nil, limits: caller.ownerLimits)
        do {
            try SubmissionRateLimiter.check(submissionRate, owner: owner, limits: caller.limits)
            let record = try await engine.submit(submission)
            logger.debug("task created (2026-07-28)", metadata: ["task": "\(record.id)", "target": "\(tool.name)"])
            return record.modernCreateTaskResult
        } catch {
            throw MCPServer.rpcError(error)
        }
    }

    /// The task `params.taskId` names, if the requester may see it; -32602 otherwise (unknown, expired or
    /// someone else's look the same). Only clients that declared the extension may ask.
    private func visibleTask(_ request: ModernMCPRequest, caller: Caller) async throws(JSONRPCError) -> TaskRecord {
        guard request.declaresTasks else {
            throw ModernMCP.extensionRequired(
                "\(request.method) belongs to the \(ModernMCP.tasksExtension) extension, "
                    + "which this request did not declare")
        }
        guard let id = request.params["taskId"]?.stringValue else { throw .invalidParams("Missing string 'taskId'") }
        do {
            return try await engine.task(TaskID(id), for: owner(caller))
        } catch {
            throw MCPServer.rpcError(error)
        }
    }

    func getTask(_ request: ModernMCPRequest, caller: Caller) async throws(JSONRPCError) -> Reply {
        let record = try await visibleTask(request, caller: caller)
        let detailed = record.modernTask(inputRequests: events.inputRequests(of: record.id))
        return .result(request.id, detailed.setting("resultType", to: "complete"))
    }

    /// Hands each answer to the engine's waiting input request: the handler that asked continues (nothing is
    /// re-run). Unknown or already answered keys are ignored, as are partial answers' missing keys.
    func updateTask(_ request: ModernMCPRequest, caller: Caller) async throws(JSONRPCError) -> Reply {
        guard let responses = request.params["inputResponses"]?.objectValue else {
            throw .invalidParams("tasks/update needs an object 'inputResponses'")
        }
        let record = try await visibleTask(request, caller: caller)
        for (key, response) in responses.sorted(by: { $0.key < $1.key }) {
            do {
                try await engine.provideInput(taskID: record.id, requestID: key, response: response)
            } catch {
                logger.debug("input response ignored", metadata: ["task": "\(record.id)", "key": "\(key)"])
            }
        }
        events.answered(record.id, requests: responses.keys)
        return .result(request.id, ["resultType": "complete"])
    }

    /// An acknowledgement: cancellation is cooperative and eventual; a task already ended stays as it is.
    func cancelTask(_ request: ModernMCPRequest, caller: Caller) async throws(JSONRPCError) -> Reply {
        let record = try await visibleTask(request, caller: caller)
        do {
            _ = try await engine.cancel(record.id, for: owner(caller), reason: "Cancelled by the client")
        } catch {
            // Already terminal (or ended meanwhile): nothing to do; anything else is reported.
            if case .alreadyTerminal = error.code {} else { throw MCPServer.rpcError(error) }
        }
        return .result(request.id, ["resultType": "complete"])
    }

    /// `subscriptions/listen`: an SSE stream that starts with the acknowledgement (the task ids honoured: those
    /// the requester may see; no other notification kinds), then the current state of each task, then a
    /// `notifications/tasks` for every change until the client closes the stream.
    func listen(_ request: ModernMCPRequest, caller: Caller) async throws(JSONRPCError) -> Reply {
        let wanted = request.params["notifications"]?["taskIds"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if !wanted.isEmpty, !request.declaresTasks {
            throw ModernMCP.extensionRequired(
                "Task notifications need the \(ModernMCP.tasksExtension) extension, which this request did not declare")
        }
        guard wanted.count <= configuration.maxListenTaskIDs else {
            throw .invalidParams("subscriptions/listen names at most \(configuration.maxListenTaskIDs) task ids")
        }
        let requester = owner(caller)
        var honoured: [TaskID] = []
        for id in Set(wanted).sorted() {
            if (try? await engine.task(TaskID(id), for: requester)) != nil { honoured.append(TaskID(id)) }
        }
        let stream = SSEStream()
        var acknowledged: [String: JSONValue] = [:]
        if !honoured.isEmpty { acknowledged["taskIds"] = .array(honoured.map { .string($0.rawValue) }) }
        stream.send(
            MCPSession.event(
                .notification(
                    method: "notifications/subscriptions/acknowledged",
                    params: [
                        "notifications": .object(acknowledged),
                        "_meta": [ModernMCP.MetaKey.subscriptionID: request.id.json],
                    ])))
        let number = events.listen(
            subscriptionID: request.id, tasks: Set(honoured), requester: requester, stream: stream)
        for id in honoured {
            if let record = try? await engine.task(id, for: requester) { events.sendSnapshot(record, to: number) }
        }
        return .stream(stream)
    }
}
