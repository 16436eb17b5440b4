import ErrandEngine
import ErrandProtocol

extension MCPServer {
    /// Maps an engine refusal to the JSON-RPC error the Tasks spec names.
    static func rpcError(_ error: TaskEngineError) -> JSONRPCError {
        switch error.code {
        case .notFound, .alreadyTerminal, .invalidCursor, .notTerminal:
            return .invalidParams(error.message)
        case .quotaExceeded(let retryAfter):
            return JSONRPCError(
                code: ErrandErrorCode.quotaExceeded, message: error.message,
                data: ["retryAfterSeconds": .int(Int64(retryAfter))])
        case .shuttingDown, .storage:
            return .internalError(error.message)
        }
    }

    func taskID(_ params: JSONValue) throws(JSONRPCError) -> TaskID {
        guard let id = params["taskId"]?.stringValue else { throw .invalidParams("Missing string 'taskId'") }
        return TaskID(id)
    }

    /// Sends the session this task's status changes until it ends. Finished tasks are not watched (no event
    /// would ever remove the watch); one that finishes while the watch is being set up is unwatched again.
    func watchUntilDone(_ record: TaskRecord, session: MCPSession) async {
        guard !record.status.isTerminal else { return }
        notifier.watch(record.id, session: session.id)
        if let now = try? await engine.task(record.id, for: session.owner), now.status.isTerminal {
            notifier.unwatch(record.id, session: session.id)
        }
    }

    func getTask(id: JSONRPCID, params: JSONValue, session: MCPSession) async throws(JSONRPCError) -> JSONRPCMessage {
        let taskID = try taskID(params)
        do {
            let record = try await engine.task(taskID, for: session.owner)
            await watchUntilDone(record, session: session)
            return .result(id: id, result: record.mcpTask)
        } catch {
            throw Self.rpcError(error)
        }
    }

    /// Blocks until the task is terminal, then answers exactly what the underlying request produced.
    func taskResult(id: JSONRPCID, params: JSONValue, session: MCPSession) async throws(JSONRPCError)
        -> JSONRPCMessage
    {
        let taskID = try taskID(params)
        let record: TaskRecord
        do {
            // Only a task the session may see is watched (its status changes reach the session's stream); a
            // watch on an unknown id would never be removed, keeping every refused (client-chosen) id in memory.
            await watchUntilDone(try await engine.task(taskID, for: session.owner), session: session)
            record = try await engine.waitForTerminal(taskID, for: session.owner)
        } catch {
            throw Self.rpcError(error)
        }
        return Self.resultMessage(id: id, record: record)
    }

    /// The `tasks/result` answer for a terminal task.
    static func resultMessage(id: JSONRPCID, record: TaskRecord) -> JSONRPCMessage {
        switch (record.status, record.outcome) {
        case (.cancelled, _):
            return .error(
                id: id,
                error: .invalidParams(
                    "Task was cancelled", data: ["taskId": .string(record.id.rawValue), "status": "cancelled"]))
        case (_, .result(let result)?):
            let meta = (result["_meta"]?.objectValue ?? [:]).merging(
                record.relatedTaskMeta.objectValue ?? [:], uniquingKeysWith: { _, ours in ours })
            return .result(id: id, result: result.setting("_meta", to: .object(meta)))
        case (_, .error(let error)?):
            return .error(id: id, error: error)
        case (.failed, nil) where record.kind == .toolCall:
            // The work ended without a result (timeout, restart): what the call would have said.
            let output = ToolOutput.error(record.statusMessage ?? "The task failed")
            return .result(id: id, result: output.callToolResult.setting("_meta", to: record.relatedTaskMeta))
        default:
            return .error(id: id, error: .internalError(record.statusMessage ?? "The task ended without a result"))
        }
    }

    func listTasks(id: JSONRPCID, params: JSONValue, session: MCPSession) async throws(JSONRPCError) -> JSONRPCMessage {
        var cursor: String?
        if let value = params["cursor"], !value.isNull {
            guard let text = value.stringValue else { throw .invalidParams("'cursor' must be a string") }
            cursor = text
        }
        // With authentication a principal sees its own and its team's tasks; without, the session's own.
        let scope: TaskListScope = session.owner.principal == nil ? .session(session.id) : .visible
        let query = TaskListQuery(scope: scope, cursor: cursor, limit: configuration.taskListPageSize)
        do {
            let page = try await engine.list(query, for: session.owner)
            var result: [String: JSONValue] = ["tasks": .array(page.tasks.map(\.mcpTask))]
            if let next = page.nextCursor { result["nextCursor"] = .string(next) }
            return .result(id: id, result: .object(result))
        } catch {
            throw Self.rpcError(error)
        }
    }

    func cancelTask(id: JSONRPCID, params: JSONValue, session: MCPSession) async throws(JSONRPCError)
        -> JSONRPCMessage
    {
        let taskID = try taskID(params)
        do {
            let record = try await engine.cancel(taskID, for: session.owner, reason: "Cancelled by the client")
            return .result(id: id, result: record.mcpTask)
        } catch {
            throw Self.rpcError(error)
        }
    }
}

/// Errand's own JSON-RPC error codes (implementation-defined server range).
public enum ErrandErrorCode {
    /// A per-principal task limit was hit; `data.retryAfterSeconds` says when to try again.
    public static let quotaExceeded = -32029
    /// The request carried no valid bearer token (sent with HTTP 401).
    public static let unauthorized = -32001
}
