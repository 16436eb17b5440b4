import ArgumentParser
import ErrandClient
import Foundation

/// The options every client command shares: where the server is, the credential, the revision, `--json`.
struct ClientOptions: ParsableArguments {
    @Option(help: "The MCP endpoint (default: $ERRAND_URL, else http://127.0.0.1:8080/mcp).")
    var url: String?

    @Option(help: "A bearer token (default: $ERRAND_TOKEN).")
    var token: String?

    @Option(
        name: .customLong("protocol"),
        help: "MCP revision: auto (try 2026-07-28, fall back to 2025-11-25), 2025-11-25 or 2026-07-28.")
    var protocolChoice: ProtocolChoice = .auto

    @Flag(help: "Print JSON for scripts (one object, or one per line for streams) instead of text.")
    var json = false

    static let defaultURL = "http://127.0.0.1:8080/mcp"

    func validate() throws {
        _ = try endpoint()
    }

    /// The endpoint URL, checked.
    func endpoint() throws -> URL {
        let text =
            url ?? ProcessInfo.processInfo.environment["ERRAND_URL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? Self.defaultURL
        guard let parsed = URL(string: text), let scheme = parsed.scheme?.lowercased(),
            scheme == "http" || scheme == "https", parsed.host != nil
        else {
            throw ValidationError("--url must be an http:// or https:// URL such as \(Self.defaultURL), not '\(text)'")
        }
        return parsed
    }

    var configuration: MCPClientConfiguration {
        get throws {
            let bearer = token ?? ProcessInfo.processInfo.environment["ERRAND_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            var configuration = MCPClientConfiguration(url: try endpoint(), bearerToken: bearer)
            configuration.protocolPreference = protocolChoice.preference
            configuration.clientName = "errand-cli"
            return configuration
        }
    }

    func client() throws -> MCPClient { MCPClient(configuration: try configuration) }
}

/// `--protocol`'s values.
enum ProtocolChoice: String, ExpressibleByArgument, CaseIterable {
    case auto
    case legacy = "2025-11-25"
    case modern = "2026-07-28"

    var preference: MCPClientConfiguration.ProtocolPreference {
        switch self {
        case .auto: return .automatic
        case .legacy: return .legacy
        case .modern: return .modern
        }
    }
}
