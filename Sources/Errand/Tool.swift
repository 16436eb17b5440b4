public import ErrandEngine
public import ErrandProtocol
public import Logging

/// Whether a tool may, must, or must not run as a task (`execution.taskSupport` on the wire).
public enum TaskSupport: String, Sendable, Hashable {
    case forbidden
    case optional
    case required
}

/// A tool the server offers: its declaration and its async handler.
///
/// ```swift
/// Tool(name: "echo", description: "Returns the text.", inputSchema: .object(["text": .string()])) { args, _ in
///     .text(try args.string("text"))
/// }
/// ```
public struct Tool: Sendable {
    public typealias Handler = @Sendable (ToolArguments, ToolContext) async throws -> ToolOutput

    public var name: String
    public var title: String?
    public var description: String
    public var inputSchema: JSONSchema
    public var outputSchema: JSONValue?
    /// `nil` takes the server's default (see ``ErrandConfiguration/defaultTaskSupport``); tools that never run
    /// as tasks and declare nothing on the wire use ``TaskSupport/forbidden`` with ``declaresExecution`` false.
    public var taskSupport: TaskSupport?
    /// Whether `tools/list` shows `execution` for this tool. FastMCP omits it for plain tools.
    public var declaresExecution: Bool
    /// Poll interval advertised in this tool's tasks (ms); `nil` → the engine default.
    public var pollIntervalMs: Int64?
    /// Timeout and retry policy of this tool's tasks.
    public var policy: TaskPolicy
    /// Argument names whose values the dashboard and REST listings show as `"***"`.
    public var redactedArguments: Set<String>
    /// With authentication, the principals and teams who may see and call the tool; `nil` (the default) lets
    /// everyone. Others get the same answer as for an unknown tool.
    public var allowed: Set<String>?
    public var handler: Handler
    /// A check of arguments beyond the schema (typed tools decode them), returning why they are refused.
    public var argumentCheck: (@Sendable (JSONValue) -> String?)?

    public init(
        name: String, title: String? = nil, description: String, inputSchema: JSONSchema = .object([:]),
        outputSchema: JSONValue? = nil, taskSupport: TaskSupport? = nil, declaresExecution: Bool = true,
        pollIntervalMs: Int64? = nil, policy: TaskPolicy = .default, redactedArguments: Set<String> = [],
        allowed: Set<String>? = nil, handler: @escaping Handler
    ) {
        self.name = name
        self.title = title
        self.description = description
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
        self.taskSupport = taskSupport
        self.declaresExecution = declaresExecution
        self.pollIntervalMs = pollIntervalMs
        self.policy = policy
        self.redactedArguments = redactedArguments
        self.allowed = allowed
        self.handler = handler
    }
}

/// What a tool returns: content blocks, optionally structured content, optionally flagged as an error.
public struct ToolOutput: Sendable {
    public var content: [JSONValue]
    public var structuredContent: JSONValue?
    public var isError: Bool

    public init(content: [JSONValue], structuredContent: JSONValue? = nil, isError: Bool = false) {
        self.content = content
        self.structuredContent = structuredContent
        self.isError = isError
    }

    /// One text block.
    public static func text(_ text: String) -> ToolOutput {
        ToolOutput(content: [["type": "text", "text": .string(text)]])
    }

    /// Structured output with its JSON text as the content block, as the spec recommends.
    public static func structured(_ value: JSONValue) -> ToolOutput {
        ToolOutput(
            content: [["type": "text", "text": .string(JSONWriter.string(value, options: .sortedKeys))]],
            structuredContent: value)
    }

    /// An error result (`isError: true`) whose text says what went wrong.
    public static func error(_ message: String) -> ToolOutput {
        ToolOutput(content: [["type": "text", "text": .string(message)]], isError: true)
    }

    /// The `CallToolResult` object.
    public var callToolResult: JSONValue {
        var result: [String: JSONValue] = ["content": .array(content), "isError": .bool(isError)]
        if let structuredContent { result["structuredContent"] = structuredContent }
        return .object(result)
    }

    /// The first text block, for status messages.
    public var firstText: String? {
        content.lazy.compactMap { $0["text"]?.stringValue }.first
    }
}

/// An error a tool throws to fail with a message the caller sees (`isError: true`).
public struct ToolError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What a running tool can use: a logger, progress reporting, the task's log, input requests, and where it runs.
public struct ToolContext: Sendable {
    public var logger: Logger
    /// The task this call runs as, or `nil` for a plain call.
    public var taskID: TaskID?
    /// Which attempt of the task this is (1 for the first run; 0 for a plain call).
    public var attempt: Int
    /// The node or worker running this attempt (`nil` for a plain call).
    public var node: String?
    /// Start more tasks from this one (fan out, chain work) and await them; see ``ChildTasks``.
    public var tasks: ChildTasks
    let progressSink: @Sendable (TaskProgress) async -> Void
    let inputSource: (@Sendable (JSONValue) async throws -> JSONValue)?
    let logSink: @Sendable (TaskLogLevel, String) async -> Void

    public init(
        logger: Logger, taskID: TaskID? = nil, attempt: Int = 0, node: String? = nil,
        tasks: ChildTasks = .unavailable, progress: @escaping @Sendable (TaskProgress) async -> Void,
        input: (@Sendable (JSONValue) async throws -> JSONValue)? = nil,
        log: (@Sendable (TaskLogLevel, String) async -> Void)? = nil
    ) {
        self.logger = logger
        self.taskID = taskID
        self.attempt = attempt
        self.node = node
        self.tasks = tasks
        self.progressSink = progress
        self.inputSource = input
        let fallback = logger
        self.logSink = log ?? { level, text in fallback.log(level: level.loggerLevel, "\(text)") }
    }

    /// Reports progress: `current` of `total`, with a message that also becomes the task's status message.
    public func progress(_ current: Double, total: Double? = nil, message: String? = nil) async {
        await progressSink(TaskProgress(current: current, total: total, message: message))
    }

    /// Appends a line to the task's log: kept with the task (the newest lines, bounded), streamed live to
    /// `GET /api/tasks/{id}/log` and the dashboard, and sent to MCP sessions watching the task as
    /// `notifications/message`. In a plain call the line goes to the server's log.
    public func log(_ text: String, level: TaskLogLevel = .info) async { await logSink(level, text) }

    /// Asks for input (an MCP elicitation request: `message`, `requestedSchema`) and waits for the answer, an
    /// `ElicitResult`. In a task the question is stored with the task and anyone who may see it can answer (the
    /// client that started it, REST, the dashboard); a plain call can ask only its own client.
    /// - Throws: ``ToolError`` when this call cannot ask anyone.
    public func requestInput(_ request: JSONValue) async throws -> JSONValue {
        guard let inputSource else { throw ToolError("This call cannot ask the client for input") }
        return try await inputSource(request)
    }

    /// ``requestInput(_:)``, giving up after `timeout`: then the question is withdrawn, the task is `working`
    /// again, and this returns `nil` — what to do without an answer is the tool's choice.
    public func requestInput(_ request: JSONValue, timeout: Duration) async throws -> JSONValue? {
        guard let inputSource else { throw ToolError("This call cannot ask the client for input") }
        return try await withThrowingTaskGroup(of: JSONValue?.self) { group in
            group.addTask { try await inputSource(request) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}

extension TaskLogLevel {
    /// The swift-log level of the same weight.
    public var loggerLevel: Logger.Level {
        switch self {
        case .debug: return .debug
        case .info: return .info
        case .notice: return .notice
        case .warning: return .warning
        case .error: return .error
        case .critical, .alert, .emergency: return .critical
        }
    }
}
