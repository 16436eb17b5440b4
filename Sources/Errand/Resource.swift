public import ErrandEngine
public import ErrandProtocol

/// A resource the server offers at a fixed URI; slow ones may be read as tasks.
public struct Resource: Sendable {
    public typealias Handler = @Sendable (ToolContext) async throws -> ResourceContents

    public var uri: String
    public var name: String
    public var title: String?
    public var description: String?
    public var mimeType: String?
    public var taskSupport: TaskSupport
    public var policy: TaskPolicy
    public var handler: Handler

    public init(
        uri: String, name: String, title: String? = nil, description: String? = nil, mimeType: String? = nil,
        taskSupport: TaskSupport = .forbidden, policy: TaskPolicy = .default, handler: @escaping Handler
    ) {
        self.uri = uri
        self.name = name
        self.title = title
        self.description = description
        self.mimeType = mimeType
        self.taskSupport = taskSupport
        self.policy = policy
        self.handler = handler
    }

    /// The `Resource` entry of `resources/list`.
    public var listing: JSONValue {
        var entry: [String: JSONValue] = ["uri": .string(uri), "name": .string(name)]
        if let title { entry["title"] = .string(title) }
        if let description { entry["description"] = .string(description) }
        if let mimeType { entry["mimeType"] = .string(mimeType) }
        return .object(entry)
    }
}

/// The text a resource read returns.
public struct ResourceContents: Sendable {
    public var text: String
    public var mimeType: String?
    public init(text: String, mimeType: String? = nil) {
        self.text = text
        self.mimeType = mimeType
    }

    /// The `ReadResourceResult` for `uri`.
    public func readResult(uri: String) -> JSONValue {
        var contents: [String: JSONValue] = ["uri": .string(uri), "text": .string(text)]
        if let mimeType { contents["mimeType"] = .string(mimeType) }
        return ["contents": [.object(contents)]]
    }
}
