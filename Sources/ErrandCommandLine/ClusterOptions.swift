import ArgumentParser
import ErrandEngine
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

#if Postgres
    import ErrandPostgres
#endif

/// The options of a node that shares a PostgreSQL database with others (`errand serve --store postgres://…`,
/// `errand worker`).
struct ClusterOptions: ParsableArguments {
    @Option(help: "This node's name, unique among the nodes sharing the database (default: HOSTNAME-PID).")
    var node: String?

    @Option(
        help: ArgumentHelp(
            "Seconds a claimed task's lease lasts without renewal.",
            discussion: "A node renews its leases every third of this; when a node dies, the others take its tasks "
                + "over once their leases have ended."))
    var leaseSeconds: Double = 30

    /// What a build without the `Postgres` trait says to a PostgreSQL URL.
    static let noPostgresSupport =
        "this build has no PostgreSQL support; build with `swift build --traits Postgres`"

    /// Throws the ``noPostgresSupport`` error in a build without the `Postgres` trait.
    static func requirePostgresSupport() throws {
        #if !Postgres
            throw ValidationError(noPostgresSupport)
        #endif
    }

    func validate() throws {
        guard leaseSeconds >= 0.1, leaseSeconds <= 86_400 else {
            throw ValidationError("--lease-seconds must be between 0.1 and 86400")
        }
        if let node, node.isEmpty || node.contains("|") {
            throw ValidationError("--node must be a non-empty name without '|'")
        }
    }

    /// The node name: `--node`, else this host's name and the process id.
    var nodeName: String {
        if let node { return node }
        var buffer = [UInt8](repeating: 0, count: 256)
        let named = buffer.withUnsafeMutableBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { gethostname($0.baseAddress!, $0.count - 1) == 0 }
        }
        let host = named ? String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self) : "errand"
        return "\(host)-\(getpid())"
    }

}

/// A node's connection to the shared database: builds its engine and closes the store after shutdown.
struct ClusterNode {
    var name: String
    var makeEngine: (any TaskRunner) -> any TaskService
    var close: @Sendable () async -> Void
}

extension ClusterOptions {
    /// Opens the PostgreSQL store at `url` (migrating it) for a node with `engine`'s limits.
    /// - Throws: the store's error if the database cannot be used; in a build without the trait, always.
    func openNode(url: String, engine: TaskEngineConfiguration, logger: Logger) async throws -> ClusterNode {
        #if Postgres
            var timings = ClusterEngineConfiguration(engine: engine)
            timings.leaseDuration = .milliseconds(Int64(leaseSeconds * 1000))
            let configuration = timings
            let store = try await PostgresClusterStore.open(
                configuration: try PostgresClusterStoreConfiguration(url: url), logger: logger)
            let name = nodeName
            return ClusterNode(
                name: name,
                makeEngine: { runner in
                    ClusterEngine(
                        store: store, runner: runner, node: name, configuration: configuration, logger: logger)
                },
                close: { await store.close() })
        #else
            throw ValidationError(Self.noPostgresSupport)
        #endif
    }
}
