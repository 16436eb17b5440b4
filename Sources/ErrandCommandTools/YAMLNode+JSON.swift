import ErrandProtocol
import Yams

extension Resolver {
    /// YAML 1.2 core types: `true`/`false` only (not `yes`, `no`, `on`, `off`), integers, floats, null; no
    /// timestamps. So `enum: [yes, no]` stays two strings.
    static let core = Resolver.basic
        .appending(try! Resolver.Rule(.bool, "^(?:true|True|TRUE|false|False|FALSE)$"))
        .appending(.int).appending(.float).appending(.null)
}

extension Node {
    /// Whether the node resolved to the YAML type `name`.
    func isTagged(_ name: Tag.Name) -> Bool { tag.rawValue == name.rawValue }

    /// The 1-based line the node starts on.
    var line: Int? { mark?.line }

    /// Whether the node is a scalar written in quotes (always a string, whatever it looks like).
    var isQuotedScalar: Bool {
        guard case .scalar(let scalar) = self else { return false }
        return scalar.style != .plain && scalar.style != .any
    }

    /// The node as JSON, YAML's core types mapped to their JSON twins; `nil` for what JSON cannot say (binary,
    /// timestamps, aliases, non-string keys are rendered as text).
    var jsonValue: JSONValue? {
        switch self {
        case .scalar(let scalar):
            if isQuotedScalar { return .string(scalar.string) }
            switch tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return bool.map { .bool($0) }
            case Tag.Name.int.rawValue: return int.map { .int(Int64($0)) }
            case Tag.Name.float.rawValue: return float.map { .double($0) }
            default: return .string(scalar.string)
            }
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for node in sequence {
                guard let value = node.jsonValue else { return nil }
                items.append(value)
            }
            return .array(items)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.string, let member = value.jsonValue else { return nil }
                members[name] = member
            }
            return .object(members)
        case .alias:
            return nil
        }
    }
}
