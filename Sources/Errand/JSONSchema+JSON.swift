public import ErrandProtocol

/// A schema written as JSON that ``JSONSchema`` cannot represent, and where.
public struct JSONSchemaError: Error, Sendable, CustomStringConvertible {
    /// Where in the schema the problem is ("path", "mode.enum"); empty for the root.
    public var path: String
    /// What is wrong, in words a person can act on.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }
}

extension JSONSchema {
    /// The keywords ``init(json:path:)`` reads; annotations it keeps nowhere (`title`, `examples`) are accepted.
    static let knownKeywords: Set<String> = [
        "type", "description", "enum", "default", "minimum", "maximum", "items", "maxItems", "properties",
        "required", "title", "examples",
    ]

    /// Reads a schema written as JSON, such as one property of a tool's `inputSchema`.
    ///
    /// Only the subset ``JSONSchema`` models is accepted, so that every constraint written is also enforced:
    /// `type` (`string`, `number`, `integer`, `boolean`, `array`, `object`) is required; `enum` only on strings;
    /// `minimum`/`maximum` on numbers; `items` (required) and `maxItems` on arrays; `properties` and `required`
    /// on objects. Any other keyword fails rather than being silently ignored.
    /// - Parameters:
    ///   - json: The schema object.
    ///   - path: Where this schema sits, for error messages.
    /// - Throws: ``JSONSchemaError`` naming the path and the problem.
    public init(json: JSONValue, path: String = "") throws(JSONSchemaError) {
        guard let members = json.objectValue else {
            throw JSONSchemaError(path: path, reason: "a schema must be an object, got \(json.typeName)")
        }
        if let unknown = members.keys.sorted().first(where: { !Self.knownKeywords.contains($0) }) {
            throw JSONSchemaError(path: path, reason: "unsupported schema keyword '\(unknown)'")
        }
        let reader = SchemaReader(members: members, path: path)
        let description = try reader.string("description")
        switch members["type"]?.stringValue {
        case "string":
            try reader.only(["enum", "default"], for: "string")
            let enumeration = try members["enum"].map { value throws(JSONSchemaError) in
                guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                    throw reader.error("enum must be a list of strings")
                }
                return items.compactMap(\.stringValue)
            }
            self = .string(description: description, enumeration: enumeration, default: try reader.string("default"))
        case "number":
            try reader.only(["minimum", "maximum", "default"], for: "number")
            self = .number(
                description: description, minimum: try reader.number("minimum"), maximum: try reader.number("maximum"),
                default: try reader.number("default"))
        case "integer":
            try reader.only(["minimum", "maximum", "default"], for: "integer")
            self = .integer(
                description: description, minimum: try reader.integer("minimum"),
                maximum: try reader.integer("maximum"), default: try reader.integer("default"))
        case "boolean":
            try reader.only(["default"], for: "boolean")
            guard members["default"].map({ $0.boolValue != nil }) ?? true else {
                throw reader.error("default must be a boolean")
            }
            self = .boolean(description: description, default: members["default"]?.boolValue)
        case "array":
            try reader.only(["items", "maxItems"], for: "array")
            guard let items = members["items"] else { throw reader.error("an array schema needs 'items'") }
            let maxItems = try reader.integer("maxItems").map { Int($0) }
            self = .array(
                items: try JSONSchema(json: items, path: "\(path)[]"), description: description, maxItems: maxItems)
        case "object":
            try reader.only(["properties", "required"], for: "object")
            self = try Self.object(members, description: description, reader: reader)
        case let other:
            let got = other.map { "'\($0)'" } ?? "none"
            throw reader.error("type must be one of string, number, integer, boolean, array, object (got \(got))")
        }
    }

    private static func object(
        _ members: [String: JSONValue], description: String?, reader: SchemaReader
    ) throws(JSONSchemaError) -> JSONSchema {
        let path = reader.path
        var properties: [String: JSONSchema] = [:]
        if let declared = members["properties"] {
            guard let declared = declared.objectValue else { throw reader.error("properties must be an object") }
            for (name, schema) in declared {
                properties[name] = try JSONSchema(json: schema, path: path.isEmpty ? name : "\(path).\(name)")
            }
        }
        var required: [String] = []
        if let list = members["required"] {
            guard let names = list.arrayValue?.compactMap(\.stringValue), names.count == list.arrayValue?.count else {
                throw reader.error("required must be a list of property names")
            }
            if let unknown = names.first(where: { properties[$0] == nil }) {
                throw reader.error("required names '\(unknown)', which is not a property")
            }
            required = names
        }
        return .object(properties, required: required, description: description)
    }
}

/// Typed access to one schema object's keywords, failing with the schema's path.
private struct SchemaReader {
    let members: [String: JSONValue]
    let path: String

    func error(_ reason: String) -> JSONSchemaError { JSONSchemaError(path: path, reason: reason) }

    /// Fails when a type-specific keyword appears on a type it does not apply to.
    func only(_ allowed: Set<String>, for type: String) throws(JSONSchemaError) {
        let specific: Set<String> = [
            "enum", "default", "minimum", "maximum", "items", "maxItems", "properties", "required",
        ]
        if let stray = members.keys.sorted().first(where: { specific.contains($0) && !allowed.contains($0) }) {
            throw error("'\(stray)' does not apply to type \(type)")
        }
    }

    func string(_ key: String) throws(JSONSchemaError) -> String? {
        guard let value = members[key] else { return nil }
        guard let text = value.stringValue else { throw error("\(key) must be a string") }
        return text
    }

    func number(_ key: String) throws(JSONSchemaError) -> Double? {
        guard let value = members[key] else { return nil }
        guard let number = value.doubleValue else { throw error("\(key) must be a number") }
        return number
    }

    func integer(_ key: String) throws(JSONSchemaError) -> Int64? {
        guard let value = members[key] else { return nil }
        guard let integer = value.intValue else { throw error("\(key) must be an integer") }
        return integer
    }
}
