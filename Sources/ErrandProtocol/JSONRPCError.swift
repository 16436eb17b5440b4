/// A JSON-RPC error object: a code, a message a person can act on, and optional data.
public struct JSONRPCError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public static let parseErrorCode = -32700
    public static let invalidRequestCode = -32600
    public static let methodNotFoundCode = -32601
    public static let invalidParamsCode = -32602
    public static let internalErrorCode = -32603
    /// MCP 2025-11-25: `resources/read` of an unknown resource.
    public static let resourceNotFoundCode = -32002

    public static func parseError(_ message: String) -> JSONRPCError { .init(code: parseErrorCode, message: message) }
    public static func invalidRequest(_ message: String) -> JSONRPCError {
        .init(code: invalidRequestCode, message: message)
    }
    public static func methodNotFound(_ message: String) -> JSONRPCError {
        .init(code: methodNotFoundCode, message: message)
    }
    public static func invalidParams(_ message: String, data: JSONValue? = nil) -> JSONRPCError {
        .init(code: invalidParamsCode, message: message, data: data)
    }
    public static func internalError(_ message: String) -> JSONRPCError {
        .init(code: internalErrorCode, message: message)
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["code": .int(Int64(code)), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }

    /// Reads an error object; `nil` if `code` or `message` is missing or mistyped.
    public init?(json: JSONValue) {
        guard let code = json["code"]?.intValue, let message = json["message"]?.stringValue else { return nil }
        self.init(code: Int(code), message: message, data: json["data"])
    }

    public var description: String { "JSON-RPC error \(code): \(message)" }
}
