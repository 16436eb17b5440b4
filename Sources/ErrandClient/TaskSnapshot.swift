public import ErrandProtocol

/// A task's status as MCP names it.
public enum TaskStatus: Sendable, Hashable, CustomStringConvertible {
    case working
    case inputRequired
    case completed
    case failed
    case cancelled
    /// A status this client does not know (kept so a newer server does not break it).
    case other(String)

    public init(_ text: String) {
        switch text {
        case "working": self = .working
        case "input_required": self = .inputRequired
        case "completed": self = .completed
        case "failed": self = .failed
        case "cancelled": self = .cancelled
        default: self = .other(text)
        }
    }

    /// The wire spelling (`input_required`).
    public var description: String {
        switch self {
        case .working: return "working"
        case .inputRequired: return "input_required"
        case .completed: return "completed"
        case .failed: return "failed"
        case .cancelled: return "cancelled"
        case .other(let text): return text
        }
    }

    /// Completed, failed and cancelled never change again.
    public var isTerminal: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// What a server said about a task at one moment, read from either era's shape: the 2025-11-25 `Task`
/// (`ttl`, `pollInterval`) or the 2026-07-28 `DetailedTask` (`ttlMs`, `pollIntervalMs`, with `result`, `error`
/// and `inputRequests` inlined).
public struct TaskSnapshot: Sendable, Hashable {
    public var taskID: String
    public var status: TaskStatus
    public var statusMessage: String?
    public var createdAt: String?
    public var lastUpdatedAt: String?
    /// Retention in milliseconds from creation; `nil` when unlimited or not said.
    public var ttlMs: Int64?
    /// How often the server suggests polling, in milliseconds.
    public var pollIntervalMs: Int64?
    /// 2026-07-28: the open input requests by key (each `{method, params}`).
    public var inputRequests: [String: JSONValue]
    /// 2026-07-28: the tool's result of a completed task.
    public var result: JSONValue?
    /// 2026-07-28: the JSON-RPC error of a failed task.
    public var error: JSONRPCError?
    /// The task object as the server sent it.
    public var json: JSONValue

    /// Reads a task object (flat) of either era.
    /// - Throws: ``MCPClientError/protocolViolation(_:)`` without a string `taskId` and `status`.
    public init(json: JSONValue) throws(MCPClientError) {
        guard let id = json["taskId"]?.stringValue, let status = json["status"]?.stringValue else {
            throw .protocolViolation("a task needs a string 'taskId' and 'status', got \(json)")
        }
        taskID = id
        self.status = TaskStatus(status)
        statusMessage = json["statusMessage"]?.stringValue
        createdAt = json["createdAt"]?.stringValue
        lastUpdatedAt = json["lastUpdatedAt"]?.stringValue
        ttlMs = (json["ttlMs"] ?? json["ttl"])?.intValue
        pollIntervalMs = (json["pollIntervalMs"] ?? json["pollInterval"])?.intValue
        inputRequests = json["inputRequests"]?.objectValue ?? [:]
        result = json["result"]
        error = json["error"].flatMap(JSONRPCError.init(json:))
        self.json = json
    }
}

/// A step forward in a task's work, as the server reported it.
public struct TaskProgress: Sendable, Hashable {
    public var progress: Double
    public var total: Double?
    public var message: String?

    public init(progress: Double, total: Double? = nil, message: String? = nil) {
        self.progress = progress
        self.total = total
        self.message = message
    }

    /// `progress / total` in 0…1, when a total is known.
    public var fraction: Double? {
        guard let total, total > 0 else { return nil }
        return min(max(progress / total, 0), 1)
    }
}

/// A question a task asks while it runs (an `elicitation/create` request).
public struct InputRequest: Sendable, Hashable {
    /// How the answer goes back: a JSON-RPC response to the server's request (2025-11-25), or `tasks/update`
    /// under this key (2026-07-28).
    public enum Channel: Sendable, Hashable {
        case response(JSONRPCID)
        case update(key: String)
    }

    public var taskID: String
    public var channel: Channel
    /// The request's method (normally `elicitation/create`).
    public var method: String
    /// Its params: `message`, `requestedSchema`, `mode`…
    public var params: JSONValue

    /// The question for a person.
    public var message: String { params["message"]?.stringValue ?? "The task asks for input." }
    /// The JSON Schema of the expected answer's `content`, if the request has one.
    public var requestedSchema: JSONValue? { params["requestedSchema"] }

    /// A stable key for this request (to tell a new question from one seen before).
    public var key: String {
        switch channel {
        case .response(let id): return "rpc:\(id)"
        case .update(let key): return key
        }
    }
}

/// One line of a task's log.
public struct TaskLogLine: Sendable, Hashable {
    public var level: String
    public var text: String
}

/// Something a watcher of a task learns, in order.
public enum TaskUpdate: Sendable, Hashable {
    /// The task's status (sent first, then whenever it changes; the last one is terminal).
    case status(TaskSnapshot)
    /// Progress reported by the work (2025-11-25 push only: 2026-07-28 shows progress as `statusMessage`).
    case progress(TaskProgress)
    /// A log line the work wrote (2025-11-25 `notifications/message`).
    case log(TaskLogLine)
    /// The task asks a question; answer it with ``TaskHandle/answer(_:with:)``.
    case inputRequested(InputRequest)
}

/// The result of a tool call (`CallToolResult`).
public struct ToolResult: Sendable, Hashable {
    /// The result as the server sent it.
    public var json: JSONValue

    public init(json: JSONValue) { self.json = json }

    /// The content blocks.
    public var content: [JSONValue] { json["content"]?.arrayValue ?? [] }
    public var structuredContent: JSONValue? { json["structuredContent"] }
    /// Whether the tool reported an error (a tool error, not a protocol error).
    public var isError: Bool { json["isError"]?.boolValue ?? false }
    /// The text blocks joined by newlines.
    public var text: String {
        content.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }
            .joined(separator: "\n")
    }
}

/// How a task ended.
public enum TaskOutcome: Sendable, Hashable {
    /// The tool returned a result; check ``ToolResult/isError`` for a tool-level error.
    case completed(ToolResult)
    /// The call ended in a JSON-RPC error (or failed without a result).
    case failed(JSONRPCError)
    /// The task was cancelled; the server's reason, if it gave one.
    case cancelled(String?)
}
