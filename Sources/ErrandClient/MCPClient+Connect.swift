import ErrandProtocol
import Foundation

/// Negotiating the revision: `server/discover` (2026-07-28) and `initialize` (2025-11-25).
extension MCPClient {
    /// Probes with `server/discover`.
    /// - Parameter fallingBack: whether a refusal means "try the older revision" (returns `nil`) rather than an
    ///   error. An unreachable server and a refused credential are errors either way.
    func discover(fallingBack: Bool) async throws -> ServerDescription? {
        let result: JSONValue
        do {
            result = try await exchange("server/discover", params: nil, era: .modern)
        } catch let error as MCPClientError {
            switch error {
            case .unreachable, .httpStatus(401, _), .httpStatus(403, _): throw error
            default:
                if fallingBack { return nil }
                throw error
            }
        }
        let versions = result["supportedVersions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard versions.contains(Self.modernVersion) else {
            if fallingBack { return nil }
            throw MCPClientError.unsupported("server/discover lists \(versions), not \(Self.modernVersion)")
        }
        let info = result["_meta"]?["io.modelcontextprotocol/serverInfo"]
        return ServerDescription(
            era: .modern, protocolVersion: Self.modernVersion, name: info?["name"]?.stringValue,
            version: info?["version"]?.stringValue, capabilities: result["capabilities"] ?? [:])
    }

    /// `initialize` with 2025-11-25, then `notifications/initialized`.
    func initialize() async throws -> ServerDescription {
        var capabilities: [String: JSONValue] = [:]
        if configuration.declaresElicitation { capabilities["elicitation"] = [:] }
        let params: JSONValue = [
            "protocolVersion": .string(Self.legacyVersion), "capabilities": .object(capabilities),
            "clientInfo": ["name": .string(configuration.clientName), "version": .string(configuration.clientVersion)],
        ]
        sessionID = nil
        let id = JSONRPCID.int(nextID())
        let response = try await post(
            .request(id: id, method: "initialize", params: params), era: .legacy, method: "initialize")
        let session = response.header("mcp-session-id")
        let result = try await answer(to: id, in: response)
        guard let version = result["protocolVersion"]?.stringValue else {
            throw MCPClientError.protocolViolation("the initialize result has no protocolVersion")
        }
        sessionID = session
        let described = ServerDescription(
            era: .legacy, protocolVersion: version, name: result["serverInfo"]?["name"]?.stringValue,
            version: result["serverInfo"]?["version"]?.stringValue, capabilities: result["capabilities"] ?? [:])
        // The version header on the notification is the negotiated one.
        server = described
        let initialized = try await post(
            .notification(method: "notifications/initialized", params: nil), era: .legacy,
            method: "notifications/initialized")
        initialized.cancel()
        return described
    }
}
