public import ErrandProtocol

/// A small JSON Schema subset for tool inputs: enough to declare and validate arguments
/// (`type`, `properties`, `required`, `minimum`, `maximum`, `enum`, `items`, `description`, `default`).
public indirect enum JSONSchema: Sendable {
    case string(description: String? = nil, enumeration: [String]? = nil, default: String? = nil)
    case number(description: String? = nil, minimum: Double? = nil, maximum: Double? = nil, default: Double? = nil)
    case integer(description: String? = nil, minimum: Int64? = nil, maximum: Int64? = nil, default: Int64? = nil)
    case boolean(description: String? = nil, default: Bool? = nil)
    case array(items: JSONSchema, description: String? = nil, maxItems: Int? = nil)
    /// An object; `required` lists property names that must be present.
    case object([String: JSONSchema], required: [String] = [], description: String? = nil)

    /// The schema as JSON, for `tools/list`.
    public var json: JSONValue {
        var out: [String: JSONValue] = [:]
        func describe(_ description: String?) { if let description { out["description"] = .string(description) } }
        switch self {
        case .string(let description, let enumeration, let fallback):
            out["type"] = "string"
            describe(description)
            if let enumeration { out["enum"] = .array(enumeration.map { .string($0) }) }
            if let fallback { out["default"] = .string(fallback) }
        case .number(let description, let minimum, let maximum, let fallback):
            out["type"] = "number"
            describe(description)
            if let minimum { out["minimum"] = .double(minimum) }
            if let maximum { out["maximum"] = .double(maximum) }
            if let fallback { out["default"] = .double(fallback) }
        case .integer(let description, let minimum, let maximum, let fallback):
            out["type"] = "integer"
            describe(description)
            if let minimum { out["minimum"] = .int(minimum) }
            if let maximum { out["maximum"] = .int(maximum) }
            if let fallback { out["default"] = .int(fallback) }
        case .boolean(let description, let fallback):
            out["type"] = "boolean"
            describe(description)
            if let fallback { out["default"] = .bool(fallback) }
        case .array(let items, let description, let maxItems):
            out["type"] = "array"
            out["items"] = items.json
            describe(description)
            if let maxItems { out["maxItems"] = .int(Int64(maxItems)) }
        case .object(let properties, let required, let description):
            out["type"] = "object"
            out["properties"] = .object(properties.mapValues(\.json))
            if !required.isEmpty { out["required"] = .array(required.map { .string($0) }) }
            describe(description)
        }
        return .object(out)
    }

    /// The problems of `value` against this schema, each naming the path ("seconds: expected number, got string").
    public func validate(_ value: JSONValue, path: String = "") -> [String] {
        let at = path.isEmpty ? "arguments" : path
        switch self {
        case .string(_, let enumeration, _):
            guard let text = value.stringValue else { return ["\(at): expected string, got \(value.typeName)"] }
            if let enumeration, !enumeration.contains(text) {
                return ["\(at): must be one of \(enumeration.joined(separator: ", "))"]
            }
            return []
        case .number(_, let minimum, let maximum, _):
            guard let number = value.doubleValue else { return ["\(at): expected number, got \(value.typeName)"] }
            return bounds(number, minimum, maximum, at)
        case .integer(_, let minimum, let maximum, _):
            guard let integer = value.intValue else { return ["\(at): expected integer, got \(value.typeName)"] }
            return bounds(Double(integer), minimum.map(Double.init), maximum.map(Double.init), at)
        case .boolean:
            return value.boolValue == nil ? ["\(at): expected boolean, got \(value.typeName)"] : []
        case .array(let items, _, let maxItems):
            guard let elements = value.arrayValue else { return ["\(at): expected array, got \(value.typeName)"] }
            if let maxItems, elements.count > maxItems { return ["\(at): at most \(maxItems) items allowed"] }
            return elements.enumerated().flatMap { items.validate($1, path: "\(at)[\($0)]") }
        case .object(let properties, let required, _):
            guard let members = value.objectValue else { return ["\(at): expected object, got \(value.typeName)"] }
            var problems: [String] = []
            for name in required where members[name] == nil {
                problems.append("missing required argument '\(path.isEmpty ? name : "\(path).\(name)")'")
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                guard let schema = properties[name] else { continue }
                problems += schema.validate(member, path: path.isEmpty ? name : "\(path).\(name)")
            }
            return problems
        }
    }

    private func bounds(_ number: Double, _ minimum: Double?, _ maximum: Double?, _ at: String) -> [String] {
        if let minimum, number < minimum { return ["\(at): must be at least \(format(minimum))"] }
        if let maximum, number > maximum { return ["\(at): must be at most \(format(maximum))"] }
        return []
    }

    private func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}
