import ErrandEngine
import ErrandProtocol
import Logging

extension MCPServer {
    /// The version to answer `initialize` with: the client's if we speak it, else our newest.
    func negotiatedVersion(_ requested: String?) -> String {
        if let requested, configuration.supportedVersions.contains(requested) { return requested }
        return configuration.supportedVersions[0]
    }

    /// Handles `initialize`: validates params, creates a session, returns the result.
    /// - Returns: the response, and the new session when one was created.
    func initialize(id: JSONRPCID, params: JSONValue?, principal: TaskOwner) -> (JSONRPCMessage, MCPSession?) {
        guard let params, params.objectValue != nil else {
            return (.error(id: id, error: .invalidParams("initialize needs params")), nil)
        }
        guard let requested = params["protocolVersion"]?.stringValue else {
            return (.error(id: id, error: .invalidParams("initialize needs a string 'protocolVersion'")), nil)
        }
        let capabilities = params["capabilities"] ?? [:]
        guard capabilities.objectValue != nil else {
            return (.error(id: id, error: .invalidParams("'capabilities' must be an object")), nil)
        }
        let version = negotiatedVersion(requested)
        let sessionID = SecureRandom.hex()
        var owner = principal
        owner.session = sessionID
        let session = MCPSession(
            id: sessionID, protocolVersion: version, clientCapabilities: capabilities,
            clientInfo: params["clientInfo"] ?? [:], owner: owner, nowMs: clock.nowMs(), logger: logger,
            countDrops: { [backlogDrops] in backlogDrops.add($0) })
        guard sessions.insert(session) else {
            return (.error(id: id, error: .internalError("Too many sessions; try again later")), nil)
        }
        var result: [String: JSONValue] = [
            "protocolVersion": .string(version),
            "capabilities": serverCapabilities(version: version),
            "serverInfo": ["name": .string(configuration.serverName), "version": .string(configuration.serverVersion)],
        ]
        if let instructions = configuration.instructions { result["instructions"] = .string(instructions) }
        logger.info(
            "session started",
            metadata: [
                "session": "\(sessionID)", "version": "\(version)", "client": "\(params["clientInfo"]?["name"] ?? "?")",
                "principal": "\(principal.principal ?? "-")",
            ])
        return (.result(id: id, result: .object(result)), session)
    }

    /// Capabilities for a session at `version`. Task leaves are empty objects; resources and prompts as tasks
    /// are declared the way FastMCP does (beside `tools.call`), which the 2025-11-25 schema allows.
    func serverCapabilities(version: String) -> JSONValue {
        var capabilities: [String: JSONValue] = [
            "tools": ["listChanged": false],
            "resources": ["subscribe": false, "listChanged": false],
            "prompts": ["listChanged": false],
            "logging": [:],
        ]
        if version >= "2025-11-25" {
            capabilities["tasks"] = [
                "list": [:], "cancel": [:],
                "requests": ["tools": ["call": [:]], "resources": ["read": [:]], "prompts": ["get": [:]]],
            ]
        }
        return .object(capabilities)
    }
}
