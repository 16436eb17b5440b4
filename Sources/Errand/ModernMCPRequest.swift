import ErrandEngine
import ErrandHTTP
import ErrandProtocol

/// One validated MCP 2026-07-28 request: its `_meta` carries the version and the client's capabilities, and
/// its `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers agree with the body.
struct ModernMCPRequest: Sendable {
    var id: JSONRPCID
    var method: String
    /// The params object (empty when the request had none).
    var params: JSONValue
    /// `_meta["io.modelcontextprotocol/clientCapabilities"]`.
    var clientCapabilities: JSONValue

    /// Whether the client declared the tasks extension for this request.
    var declaresTasks: Bool { clientCapabilities["extensions"]?[ModernMCP.tasksExtension] != nil }

    static let methodHeader = "Mcp-Method"
    static let nameHeader = "Mcp-Name"

    /// Validates `params._meta` and the mirrored headers, in the order the spec's examples imply: a header that
    /// disagrees with the body (-32020) before an unsupported version (-32022) before a missing `_meta` key
    /// (-32602).
    init(id: JSONRPCID, method: String, params: JSONValue?, headers: HTTPHeaders) throws(JSONRPCError) {
        let params = params ?? [:]
        guard params.objectValue != nil else { throw .invalidParams("'params' must be an object") }
        let meta = params["_meta"] ?? [:]
        let metaVersion = meta[ModernMCP.MetaKey.protocolVersion]?.stringValue
        guard let headerVersion = headers[StreamableHTTPEndpoint.versionHeader] else {
            throw Self.mismatch("Missing MCP-Protocol-Version header")
        }
        if let metaVersion, metaVersion != headerVersion {
            throw Self.mismatch(
                "Header mismatch: MCP-Protocol-Version '\(headerVersion)' does not match _meta version '\(metaVersion)'"
            )
        }
        guard headerVersion == ModernMCP.version else {
            throw JSONRPCError(
                code: ModernMCP.ErrorCode.unsupportedProtocolVersion, message: "Unsupported protocol version",
                data: [
                    "supported": .array(ModernMCP.supportedVersions.map { .string($0) }),
                    "requested": .string(headerVersion),
                ])
        }
        guard metaVersion != nil else {
            throw .invalidParams("Missing _meta[\"\(ModernMCP.MetaKey.protocolVersion)\"] (required on every request)")
        }
        guard let capabilities = meta[ModernMCP.MetaKey.clientCapabilities], capabilities.objectValue != nil else {
            throw .invalidParams(
                "Missing _meta[\"\(ModernMCP.MetaKey.clientCapabilities)\"]: an object, required on every request")
        }
        try Self.checkMirroredHeaders(method: method, params: params, headers: headers)
        self.id = id
        self.method = method
        self.params = params
        self.clientCapabilities = capabilities
    }

    /// `Mcp-Method` must equal the method; `Mcp-Name` the tool/prompt name or resource URI (required there) and,
    /// by the tasks extension, the task id of `tasks/*` (optional: fastmcp sends none).
    static func checkMirroredHeaders(method: String, params: JSONValue, headers: HTTPHeaders) throws(JSONRPCError) {
        guard let methodHeader = headers[methodHeader] else { throw mismatch("Missing Mcp-Method header") }
        guard methodHeader == method else {
            throw mismatch("Header mismatch: Mcp-Method header value '\(methodHeader)' does not match body '\(method)'")
        }
        let source: (field: String, required: Bool)
        switch method {
        case "tools/call", "prompts/get": source = ("name", true)
        case "resources/read": source = ("uri", true)
        case "tasks/get", "tasks/update", "tasks/cancel": source = ("taskId", false)
        default: return
        }
        guard let raw = headers[nameHeader] else {
            if source.required { throw mismatch("Missing Mcp-Name header (required for \(method))") }
            return
        }
        guard let name = decodeHeaderValue(raw) else { throw mismatch("Malformed Mcp-Name header value") }
        let body = params[source.field]?.stringValue
        guard name == body else {
            throw mismatch(
                "Header mismatch: Mcp-Name header value '\(raw)' does not match body '\(source.field)' '\(body ?? "")'")
        }
    }

    /// A header value, decoding the `=?base64?…?=` sentinel form; `nil` when the Base64 or UTF-8 is malformed.
    static func decodeHeaderValue(_ value: String) -> String? {
        let prefix = "=?base64?"
        let suffix = "?="
        guard value.hasPrefix(prefix), value.hasSuffix(suffix), value.count >= prefix.count + suffix.count else {
            return value
        }
        let encoded = value.dropFirst(prefix.count).dropLast(suffix.count)
        guard let bytes = Base64.decode(encoded) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    static func mismatch(_ message: String) -> JSONRPCError {
        JSONRPCError(code: ModernMCP.ErrorCode.headerMismatch, message: message)
    }
}
