public import ErrandEngine
public import ErrandProtocol

extension TaskRecord {
    /// The MCP 2025-11-25 `Task` object: `ttl` always present (integer or null), integers as integers,
    /// RFC 3339 UTC timestamps, and `queued` shown as `working`.
    public var mcpTask: JSONValue {
        var task: [String: JSONValue] = [
            "taskId": .string(id.rawValue),
            "status": .string(status == .queued ? TaskStatus.working.rawValue : status.rawValue),
            "createdAt": .string(Timestamp.rfc3339(millisecondsSinceEpoch: createdAt)),
            "lastUpdatedAt": .string(Timestamp.rfc3339(millisecondsSinceEpoch: lastUpdatedAt)),
            "ttl": ttlMs.map { .int($0) } ?? .null,
            "pollInterval": .int(pollIntervalMs),
        ]
        if let statusMessage { task["statusMessage"] = .string(statusMessage) }
        return .object(task)
    }

    /// `_meta` value naming this task, for messages related to it.
    public var relatedTaskMeta: JSONValue { ["io.modelcontextprotocol/related-task": ["taskId": .string(id.rawValue)]] }
}
