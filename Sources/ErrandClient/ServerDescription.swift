public import ErrandProtocol

/// The MCP revision a connection speaks.
public enum MCPEra: String, Sendable, Hashable {
    /// 2025-11-25: sessions and the core tasks (`tasks/get|result|list|cancel`).
    case legacy = "2025-11-25"
    /// 2026-07-28 with the tasks extension `io.modelcontextprotocol/tasks`.
    case modern = "2026-07-28"
}

/// What the server said about itself when the client connected.
public struct ServerDescription: Sendable, Hashable {
    public var era: MCPEra
    /// The negotiated protocol version.
    public var protocolVersion: String
    public var name: String?
    public var version: String?
    /// The server's capabilities object.
    public var capabilities: JSONValue

    /// Whether the server runs tool calls as tasks at all (the `tasks` capability, or the tasks extension).
    public var supportsTasks: Bool {
        switch era {
        case .legacy: return capabilities["tasks"]?["requests"]?["tools"]?["call"] != nil
        case .modern: return capabilities["extensions"]?[MCPClient.tasksExtension] != nil
        }
    }

    /// Whether `tasks/list` is offered (2025-11-25 only).
    public var supportsTaskList: Bool { era == .legacy && capabilities["tasks"]?["list"] != nil }
}

/// A tool as `tools/list` describes it.
public struct ToolDescription: Sendable, Hashable {
    public var name: String
    public var description: String?
    public var inputSchema: JSONValue?
    /// 2025-11-25 `execution.taskSupport`: `forbidden` (or absent), `optional`, `required`.
    public var taskSupport: String?
    public var json: JSONValue

    init(json: JSONValue) {
        name = json["name"]?.stringValue ?? ""
        description = json["description"]?.stringValue
        inputSchema = json["inputSchema"]
        taskSupport = json["execution"]?["taskSupport"]?.stringValue
        self.json = json
    }
}

/// One page of `tasks/list`.
public struct TaskPage: Sendable, Hashable {
    public var tasks: [TaskSnapshot]
    /// Pass to the next ``MCPClient/listTasks(cursor:)`` for more; `nil` on the last page.
    public var nextCursor: String?
}
