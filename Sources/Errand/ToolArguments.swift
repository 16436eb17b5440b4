public import ErrandProtocol

/// A tool's arguments, with typed accessors that throw a ``ToolError`` naming the argument.
public struct ToolArguments: Sendable {
    public let json: JSONValue

    public init(_ json: JSONValue) { self.json = json }

    public subscript(name: String) -> JSONValue? { json[name] }

    public func string(_ name: String) throws -> String {
        guard let value = json[name]?.stringValue else { throw missing(name, "a string") }
        return value
    }

    public func double(_ name: String) throws -> Double {
        guard let value = json[name]?.doubleValue else { throw missing(name, "a number") }
        return value
    }

    public func int(_ name: String) throws -> Int {
        guard let value = json[name]?.intValue, let int = Int(exactly: value) else {
            throw missing(name, "an integer")
        }
        return int
    }

    public func int(_ name: String, default fallback: Int) throws -> Int {
        json[name] == nil ? fallback : try int(name)
    }

    private func missing(_ name: String, _ kind: String) -> ToolError {
        if let value = json[name] { return ToolError("Argument '\(name)' must be \(kind), got \(value.typeName)") }
        return ToolError("Missing required argument '\(name)' (\(kind))")
    }
}
