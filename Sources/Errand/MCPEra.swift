import ErrandEngine
import ErrandHTTP
import ErrandProtocol

/// Which revision family a request on `/mcp` speaks. Chosen per request: the stateless modern era
/// (2026-07-28, no sessions) when the request says so in its `MCP-Protocol-Version` header or its
/// `_meta` version; the session-based legacy era (2025-11-25 and older) otherwise, exactly as before.
enum MCPEra: Sendable, Equatable {
    case legacy
    case modern

    /// The era of one POSTed message. `initialize` is always legacy. A request with the modern `_meta` version
    /// is modern; so is one with the modern header, unless it names a session (a 2025-11-25 client sending a
    /// version it did not negotiate, refused as before).
    static func of(_ message: JSONRPCMessage, headers: HTTPHeaders) -> MCPEra {
        let modernHeader =
            headers[StreamableHTTPEndpoint.versionHeader] == ModernMCP.version
            && headers[StreamableHTTPEndpoint.sessionHeader] == nil
        switch message {
        case .request(_, let method, let params):
            guard method != "initialize" else { return .legacy }
            if params?["_meta"]?[ModernMCP.MetaKey.protocolVersion] != nil { return .modern }
            return modernHeader ? .modern : .legacy
        case .notification:
            return modernHeader ? .modern : .legacy
        case .result, .error:
            return .legacy
        }
    }
}

/// Names and constants of MCP 2026-07-28 and the tasks extension (`io.modelcontextprotocol/tasks`).
enum ModernMCP {
    /// The one modern revision Errand speaks.
    static let version = "2026-07-28"
    /// Every revision `/mcp` speaks, modern first (the legacy ones are negotiated with `initialize`).
    static let supportedVersions = [version, "2025-11-25", "2025-06-18", "2025-03-26"]
    /// The tasks extension's identifier, in `capabilities.extensions` of both sides.
    static let tasksExtension = "io.modelcontextprotocol/tasks"
    /// The owner `session` prefix of tasks created by modern (sessionless) requests; the rest is the client.
    static let ownerPrefix = "mcp2026:"

    /// Reserved `_meta` keys.
    enum MetaKey {
        static let protocolVersion = "io.modelcontextprotocol/protocolVersion"
        static let clientCapabilities = "io.modelcontextprotocol/clientCapabilities"
        static let clientInfo = "io.modelcontextprotocol/clientInfo"
        static let serverInfo = "io.modelcontextprotocol/serverInfo"
        static let subscriptionID = "io.modelcontextprotocol/subscriptionId"
    }

    /// Error codes the modern core and the extension add.
    enum ErrorCode {
        /// An HTTP header disagrees with the body, or a required one is missing (HTTP 400).
        static let headerMismatch = -32020
        /// The request needs a client capability (here: the tasks extension) it did not declare.
        static let missingRequiredClientCapability = -32021
        /// The requested protocol version is not one the server speaks.
        static let unsupportedProtocolVersion = -32022
    }

    /// The `-32021` error of a request that needs the tasks extension.
    static func extensionRequired(_ message: String) -> JSONRPCError {
        JSONRPCError(
            code: ErrorCode.missingRequiredClientCapability, message: message,
            data: ["requiredCapabilities": ["extensions": [tasksExtension: [:]]]])
    }
}

extension TaskOwner {
    /// Whether a modern (sessionless) MCP request created the task: its input requests are answered with
    /// `tasks/update`, never sent to a session.
    var isModernMCP: Bool { session?.hasPrefix(ModernMCP.ownerPrefix) ?? false }
}
