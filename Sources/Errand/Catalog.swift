public import ErrandProtocol

/// Everything the server offers — tools, resources, prompts — by name or URI, in declaration order.
public struct Catalog: Sendable {
    public private(set) var tools: [Tool] = []
    public private(set) var resources: [Resource] = []
    public private(set) var prompts: [Prompt] = []
    private var toolIndex: [String: Int] = [:]
    private var resourceIndex: [String: Int] = [:]
    private var promptIndex: [String: Int] = [:]
    /// Task support for tools that declare none (like FastMCP's server-wide `tasks=True`).
    public var defaultTaskSupport: TaskSupport

    public init(defaultTaskSupport: TaskSupport = .forbidden) { self.defaultTaskSupport = defaultTaskSupport }

    /// Adds a tool; a tool with the same name replaces the earlier one.
    public mutating func add(_ tool: Tool) {
        if let index = toolIndex[tool.name] {
            tools[index] = tool
        } else {
            toolIndex[tool.name] = tools.count
            tools.append(tool)
        }
    }

    public mutating func add(_ resource: Resource) {
        if let index = resourceIndex[resource.uri] {
            resources[index] = resource
        } else {
            resourceIndex[resource.uri] = resources.count
            resources.append(resource)
        }
    }

    public mutating func add(_ prompt: Prompt) {
        if let index = promptIndex[prompt.name] {
            prompts[index] = prompt
        } else {
            promptIndex[prompt.name] = prompts.count
            prompts.append(prompt)
        }
    }

    public func tool(named name: String) -> Tool? { toolIndex[name].map { tools[$0] } }
    public func resource(uri: String) -> Resource? { resourceIndex[uri].map { resources[$0] } }
    public func prompt(named name: String) -> Prompt? { promptIndex[name].map { prompts[$0] } }

    /// The effective task mode of a tool.
    public func taskSupport(of tool: Tool) -> TaskSupport { tool.taskSupport ?? defaultTaskSupport }

    /// The `Tool` entry of `tools/list` (and `GET /api/tools`).
    public func listing(of tool: Tool) -> JSONValue {
        var entry: [String: JSONValue] = [
            "name": .string(tool.name), "description": .string(tool.description), "inputSchema": tool.inputSchema.json,
        ]
        if let title = tool.title { entry["title"] = .string(title) }
        if let outputSchema = tool.outputSchema { entry["outputSchema"] = outputSchema }
        if tool.declaresExecution {
            entry["execution"] = ["taskSupport": .string(taskSupport(of: tool).rawValue)]
        }
        return .object(entry)
    }
}
