public import ErrandEngine
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
    public mutating func add(_ tool: Tool) { Self.upsert(tool, key: tool.name, into: &tools, index: &toolIndex) }

    /// Adds a resource; one with the same URI replaces the earlier one.
    public mutating func add(_ resource: Resource) {
        Self.upsert(resource, key: resource.uri, into: &resources, index: &resourceIndex)
    }

    /// Adds a prompt; one with the same name replaces the earlier one.
    public mutating func add(_ prompt: Prompt) {
        Self.upsert(prompt, key: prompt.name, into: &prompts, index: &promptIndex)
    }

    /// Replaces the entry with `key` in place, or appends it, keeping declaration order.
    private static func upsert<Entry>(
        _ entry: Entry, key: String, into entries: inout [Entry], index: inout [String: Int]
    ) {
        if let position = index[key] {
            entries[position] = entry
        } else {
            index[key] = entries.count
            entries.append(entry)
        }
    }

    public func tool(named name: String) -> Tool? { toolIndex[name].map { tools[$0] } }

    /// Whether `owner` may see and call `tool`: everyone may when the tool names no one (``Tool/allowed``) or
    /// the server runs without authentication; else its principal or team must be named.
    public func isVisible(_ tool: Tool, to owner: TaskOwner) -> Bool {
        guard let allowed = tool.allowed, let principal = owner.principal else { return true }
        return allowed.contains(principal) || owner.team.map(allowed.contains) == true
    }

    /// The tool named `name` if `owner` may see it (else `nil`, exactly as for an unknown tool).
    public func tool(named name: String, visibleTo owner: TaskOwner) -> Tool? {
        tool(named: name).flatMap { isVisible($0, to: owner) ? $0 : nil }
    }

    /// The tools `owner` may see, in declaration order.
    public func tools(visibleTo owner: TaskOwner) -> [Tool] { tools.filter { isVisible($0, to: owner) } }
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
