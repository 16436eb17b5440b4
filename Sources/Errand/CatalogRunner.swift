public import ErrandEngine
public import ErrandProtocol
public import Logging

/// Runs catalog entries — the engine's ``TaskRunner`` for tasks, and the same code for plain calls.
public struct CatalogRunner: TaskRunner {
    public let liveCatalog: LiveCatalog
    public let logger: Logger
    /// The engine tools start child tasks on (set once the engine built around this runner exists).
    public let engine = EngineReference()

    /// The catalog as it is now.
    public var catalog: Catalog { liveCatalog.current }

    public init(catalog: Catalog, logger: Logger) {
        self.init(liveCatalog: LiveCatalog(catalog), logger: logger)
    }

    public init(liveCatalog: LiveCatalog, logger: Logger) {
        self.liveCatalog = liveCatalog
        self.logger = logger
    }

    public func policy(for task: TaskRecord) -> TaskPolicy {
        switch task.kind {
        case .toolCall: return catalog.tool(named: task.target)?.policy ?? .default
        case .resourceRead: return catalog.resource(uri: task.target)?.policy ?? .default
        case .promptGet: return catalog.prompt(named: task.target)?.policy ?? .default
        }
    }

    public func run(_ task: TaskRecord, context: TaskContext) async -> TaskRunResult {
        var taskLogger = logger
        taskLogger[metadataKey: "task"] = "\(task.id)"
        let children = engine.current.map { ChildTasks(engine: $0, parent: task) } ?? .unavailable
        defer {
            if Task.isCancelled { Task { await children.cancelStarted() } }
        }
        let toolContext = ToolContext(
            logger: taskLogger, taskID: task.id, attempt: context.attempt, node: context.node, tasks: children,
            progress: { await context.reportProgress($0) }, input: { try await context.requestInput($0) },
            log: { await context.log($0, $1) })
        switch task.kind {
        case .toolCall:
            guard let tool = catalog.tool(named: task.target) else {
                return failure(.invalidParams("Unknown tool: \(task.target)"))
            }
            let output = await callTool(tool, arguments: task.arguments, context: toolContext)
            return TaskRunResult(
                outcome: .result(output.callToolResult), status: output.isError ? .failed : .completed,
                statusMessage: output.isError ? (output.firstText ?? "The tool reported an error") : nil)
        case .resourceRead:
            guard let resource = catalog.resource(uri: task.target) else {
                return failure(JSONRPCError(code: JSONRPCError.resourceNotFoundCode, message: "Resource not found"))
            }
            do {
                let contents = try await resource.handler(toolContext)
                return TaskRunResult(outcome: .result(contents.readResult(uri: resource.uri)), status: .completed)
            } catch {
                return failure(.internalError("Reading \(resource.uri) failed: \(Self.describe(error))"))
            }
        case .promptGet:
            guard let prompt = catalog.prompt(named: task.target) else {
                return failure(.invalidParams("Unknown prompt: \(task.target)"))
            }
            do {
                let messages = try await prompt.handler(Self.promptArguments(task.arguments), toolContext)
                return TaskRunResult(outcome: .result(messages.getPromptResult), status: .completed)
            } catch {
                return failure(.internalError("Prompt \(prompt.name) failed: \(Self.describe(error))"))
            }
        }
    }

    /// Validates arguments against the tool's schema, runs the handler, and turns any thrown error into an
    /// `isError` result. Shared by plain calls and task attempts.
    public func callTool(_ tool: Tool, arguments: JSONValue, context: ToolContext) async -> ToolOutput {
        let problems = tool.argumentProblems(arguments)
        guard problems.isEmpty else {
            return .error("Invalid arguments for tool '\(tool.name)': \(problems.joined(separator: "; "))")
        }
        do {
            return try await tool.handler(ToolArguments(arguments), context)
        } catch is CancellationError {
            return .error("The call was cancelled")
        } catch {
            context.logger.debug("tool failed", metadata: ["tool": "\(tool.name)", "error": "\(error)"])
            return .error(Self.describe(error))
        }
    }

    /// Prompt arguments are strings on the wire; other JSON values are rendered as JSON text.
    public static func promptArguments(_ json: JSONValue) -> [String: String] {
        (json.objectValue ?? [:]).mapValues { $0.stringValue ?? JSONWriter.string($0) }
    }

    static func describe(_ error: any Error) -> String {
        if let toolError = error as? ToolError { return toolError.message }
        return String(describing: error)
    }

    private func failure(_ error: JSONRPCError) -> TaskRunResult {
        TaskRunResult(outcome: .error(error), status: .failed, statusMessage: error.message)
    }
}
