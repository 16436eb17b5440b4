public import ErrandEngine
public import ErrandProtocol

/// A prompt template the server offers; slow ones may be rendered as tasks.
public struct Prompt: Sendable {
    public struct Argument: Sendable {
        public var name: String
        public var description: String?
        public var required: Bool
        public init(name: String, description: String? = nil, required: Bool = false) {
            self.name = name
            self.description = description
            self.required = required
        }
    }

    public typealias Handler = @Sendable ([String: String], ToolContext) async throws -> PromptMessages

    public var name: String
    public var title: String?
    public var description: String?
    public var arguments: [Argument]
    public var taskSupport: TaskSupport
    public var policy: TaskPolicy
    public var handler: Handler

    public init(
        name: String, title: String? = nil, description: String? = nil, arguments: [Argument] = [],
        taskSupport: TaskSupport = .forbidden, policy: TaskPolicy = .default, handler: @escaping Handler
    ) {
        self.name = name
        self.title = title
        self.description = description
        self.arguments = arguments
        self.taskSupport = taskSupport
        self.policy = policy
        self.handler = handler
    }

    /// The `Prompt` entry of `prompts/list`.
    public var listing: JSONValue {
        var entry: [String: JSONValue] = ["name": .string(name)]
        if let title { entry["title"] = .string(title) }
        if let description { entry["description"] = .string(description) }
        entry["arguments"] = .array(
            arguments.map { argument in
                var item: [String: JSONValue] = ["name": .string(argument.name), "required": .bool(argument.required)]
                if let description = argument.description { item["description"] = .string(description) }
                return .object(item)
            })
        return .object(entry)
    }
}

/// What a prompt renders to: user/assistant text messages.
public struct PromptMessages: Sendable {
    public var description: String?
    public var messages: [(role: String, text: String)]
    public init(description: String? = nil, messages: [(role: String, text: String)]) {
        self.description = description
        self.messages = messages
    }

    /// The `GetPromptResult`.
    public var getPromptResult: JSONValue {
        var result: [String: JSONValue] = [
            "messages": .array(
                messages.map { ["role": .string($0.role), "content": ["type": "text", "text": .string($0.text)]] })
        ]
        if let description { result["description"] = .string(description) }
        return .object(result)
    }
}
