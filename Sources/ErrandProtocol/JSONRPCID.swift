/// A JSON-RPC request id: a string or an integer, echoed back with the same JSON type.
public enum JSONRPCID: Sendable, Hashable, CustomStringConvertible {
    case int(Int64)
    case string(String)

    /// The id read from a JSON value; `nil` for `null`, fractions and other types.
    public init?(_ value: JSONValue) {
        switch value {
        case .int(let number): self = .int(number)
        case .string(let text): self = .string(text)
        default: return nil
        }
    }

    public var json: JSONValue {
        switch self {
        case .int(let number): return .int(number)
        case .string(let text): return .string(text)
        }
    }

    public var description: String {
        switch self {
        case .int(let number): return String(number)
        case .string(let text): return "\"\(text)\""
        }
    }
}
