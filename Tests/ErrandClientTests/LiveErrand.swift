import Errand
import ErrandClient
import ErrandDemo
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import ErrandTestSupport
import Foundation
import Logging

/// An Errand served on 127.0.0.1 and an ephemeral port, in this process, for the client to talk to over real
/// sockets. Shut it down with ``stop()``.
struct LiveErrand: Sendable {
    let app: ErrandApplication
    let server: HTTPServer
    let port: Int

    var url: URL { URL(string: "http://127.0.0.1:\(port)/mcp")! }

    static func start(catalog: Catalog = DemoCatalog.make()) async throws -> LiveErrand {
        let logger = Logger(label: "client-test", factory: { _ in SwiftLogNoOpLogHandler() })
        var configuration = ErrandConfiguration()
        configuration.publicDirectory = nil
        configuration.http.host = "127.0.0.1"
        configuration.http.port = 0
        let app = ErrandApplication(
            configuration: configuration, catalog: catalog, store: MemoryTaskStore(), logger: logger)
        try await app.start()
        let server = HTTPServer(configuration: configuration.http, responder: app, logger: logger)
        let port = try server.start()
        return LiveErrand(app: app, server: server, port: port)
    }

    func stop() async {
        await server.shutdown(gracePeriod: .milliseconds(100))
        await app.shutdown()
    }

    /// The demo tools plus `held`, which waits for `release` and then answers "slept 0.2".
    static func catalog(holdingUntil release: Gate) -> Catalog {
        var catalog = DemoCatalog.make()
        catalog.add(
            Tool(name: "held", description: "Waits for the test, then answers.", inputSchema: .object([:])) { _, _ in
                await release.wait()
                return .text("slept 0.2")
            })
        return catalog
    }

    /// A client of this server speaking `era` (`nil`: negotiate).
    func client(_ era: MCPEra?, push: Bool = true) -> MCPClient {
        var configuration = MCPClientConfiguration(url: url)
        switch era {
        case .legacy: configuration.protocolPreference = .legacy
        case .modern: configuration.protocolPreference = .modern
        case nil: configuration.protocolPreference = .automatic
        }
        configuration.usesPush = push
        return MCPClient(configuration: configuration)
    }
}

/// Runs `body` against a fresh server and stops it afterwards, also when `body` throws.
func withErrand(catalog: Catalog = DemoCatalog.make(), _ body: (LiveErrand) async throws -> Void) async throws {
    let errand = try await LiveErrand.start(catalog: catalog)
    do {
        try await body(errand)
    } catch {
        await errand.stop()
        throw error
    }
    await errand.stop()
}

/// Starts `tool` as a task and returns its handle; fails the test when the server answered inline.
func startTask(_ client: MCPClient, _ tool: String, _ arguments: JSONValue) async throws -> TaskHandle {
    switch try await client.startTask(tool, arguments: arguments) {
    case .task(let handle): return handle
    case .result(let result): throw ClientTestFailure("\(tool) ran inline: \(result.json)")
    }
}

struct ClientTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
