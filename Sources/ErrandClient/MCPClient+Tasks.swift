import ErrandProtocol

/// The task methods a ``TaskHandle`` uses, by era.
extension MCPClient {
    /// `tasks/get`.
    func getTask(_ id: String) async throws -> TaskSnapshot {
        let result = try await send("tasks/get", params: ["taskId": .string(id)], mcpName: id)
        return try TaskSnapshot(json: result)
    }

    /// `tasks/cancel`. On 2025-11-25 cancelling a task that already ended is refused (-32602); on 2026-07-28 it
    /// is acknowledged and changes nothing.
    func cancelTask(_ id: String) async throws {
        _ = try await send("tasks/cancel", params: ["taskId": .string(id)], mcpName: id)
    }

    /// How a task that ended ended: from the snapshot (2026-07-28 inlines it) or `tasks/result` (2025-11-25).
    func outcome(of snapshot: TaskSnapshot) async throws -> TaskOutcome {
        if snapshot.status == .cancelled { return .cancelled(snapshot.statusMessage) }
        let server = try await connect()
        if server.era == .modern || snapshot.result != nil || snapshot.error != nil {
            if let result = snapshot.result {
                return .completed(ToolResult(json: result.setting("resultType", to: nil)))
            }
            return .failed(
                snapshot.error ?? .internalError(snapshot.statusMessage ?? "the task failed without a result"))
        }
        do {
            let result = try await send("tasks/result", params: ["taskId": .string(snapshot.taskID)])
            var meta = result["_meta"]?.objectValue ?? [:]
            meta["io.modelcontextprotocol/related-task"] = nil
            let cleaned = meta.isEmpty ? result.setting("_meta", to: nil) : result.setting("_meta", to: .object(meta))
            return .completed(ToolResult(json: cleaned))
        } catch MCPClientError.rejected(let error) where snapshot.status == .failed {
            // The call's own JSON-RPC error, reproduced by tasks/result.
            return .failed(error)
        }
    }

    /// Sends the answer to a task's question.
    func answer(_ request: InputRequest, with response: JSONValue) async throws {
        switch request.channel {
        case .response(let id):
            let posted = try await post(.result(id: id, result: response), era: .legacy, method: nil)
            let body = try await posted.collect(limit: configuration.limits.maxResponseBytes)
            guard (200..<300).contains(posted.status) else {
                throw MCPClientError.httpStatus(posted.status, Self.snippet(body))
            }
        case .update(let key):
            _ = try await send(
                "tasks/update", params: ["taskId": .string(request.taskID), "inputResponses": [key: response]],
                mcpName: request.taskID)
        }
    }
}
