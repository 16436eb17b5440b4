#if Postgres
    import ErrandEngine
    import ErrandPostgres
    import Logging
    import PostgresNIO

    /// The PostgreSQL configurations of ``StoreComparison``: one `ClusterEngine` node that submits and runs, and
    /// two nodes with a store each (as two processes would have): A accepts tasks and runs nothing, W runs them, so
    /// every task crosses nodes by `NOTIFY` twice (wake to W, completion back to A).
    enum PostgresSetups {
        static func configurations(
            _ options: StoreOptions
        ) async throws -> [(name: String, make: (PickupLog) async throws -> StoreComparison.Setup)] {
            guard let url = options.postgres else { return [] }
            var modes: [(label: String, durable: Bool?)] = [("", nil)]
            if options.postgresFsyncOff { modes = [(" (durable)", true), (" (fsync off)", false)] }
            var result: [(name: String, make: (PickupLog) async throws -> StoreComparison.Setup)] = []
            for (label, durable) in modes {
                result.append(
                    ("PostgreSQL, 1 node\(label)", { try await oneNode(url: url, durable: durable, pickups: $0) }))
                result.append(
                    (
                        "PostgreSQL, 2 nodes, A→W\(label)",
                        { try await twoNodes(url: url, durable: durable, pickups: $0) }
                    )
                )
                result.append(
                    (
                        "PostgreSQL, 2 nodes + worker\(label)",
                        { try await twoNodesAndWorker(url: url, durable: durable, pickups: $0) }
                    )
                )
            }
            guard let pid = options.postgresPID else { return result }
            return result.map { name, make in
                (
                    name,
                    { pickups in
                        var setup = try await make(pickups)
                        setup.serverNanoseconds = { processTreeNanoseconds(root: pid) }
                        return setup
                    }
                )
            }
        }

        static func oneNode(url: String, durable: Bool?, pickups: PickupLog) async throws -> StoreComparison.Setup {
            try await prepare(url: url, durable: durable)
            let store = try await PostgresClusterStore.open(
                configuration: try PostgresClusterStoreConfiguration(url: url), logger: EngineBenchmarks.quietLogger)
            let node = ClusterEngine(
                store: store, runner: NoOpRunner(pickups: pickups), node: "bench-1",
                configuration: ClusterEngineConfiguration(engine: EngineBenchmarks.configuration),
                logger: EngineBenchmarks.quietLogger)
            return StoreComparison.Setup(submitter: node, all: [node], close: { await store.close() })
        }

        static func twoNodes(url: String, durable: Bool?, pickups: PickupLog) async throws -> StoreComparison.Setup {
            try await prepare(url: url, durable: durable)
            let configuration = try PostgresClusterStoreConfiguration(url: url)
            let storeA = try await PostgresClusterStore.open(
                configuration: configuration, logger: EngineBenchmarks.quietLogger)
            let storeW = try await PostgresClusterStore.open(
                configuration: configuration, logger: EngineBenchmarks.quietLogger)
            var limits = EngineBenchmarks.configuration
            limits.maxConcurrentTasks = 0
            let nodeA = ClusterEngine(
                store: storeA, runner: NoOpRunner(pickups: pickups), node: "bench-a",
                configuration: ClusterEngineConfiguration(engine: limits), logger: EngineBenchmarks.quietLogger)
            let nodeW = ClusterEngine(
                store: storeW, runner: NoOpRunner(pickups: pickups), node: "bench-w",
                configuration: ClusterEngineConfiguration(engine: EngineBenchmarks.configuration),
                logger: EngineBenchmarks.quietLogger)
            return StoreComparison.Setup(
                submitter: nodeA, all: [nodeW, nodeA],
                close: {
                    await storeA.close()
                    await storeW.close()
                })
        }

        /// Nodes A and B (as two `errand serve` processes) both take submissions and run tasks, and W (as an
        /// `errand worker`) only runs them; the submitters alternate between A and B. Pickup latency is A's.
        static func twoNodesAndWorker(
            url: String, durable: Bool?, pickups: PickupLog
        ) async throws -> StoreComparison.Setup {
            try await prepare(url: url, durable: durable)
            let configuration = try PostgresClusterStoreConfiguration(url: url)
            var stores: [PostgresClusterStore] = []
            var nodes: [ClusterEngine] = []
            for name in ["bench-a", "bench-b", "bench-w"] {
                let store = try await PostgresClusterStore.open(
                    configuration: configuration, logger: EngineBenchmarks.quietLogger)
                stores.append(store)
                nodes.append(
                    ClusterEngine(
                        store: store, runner: NoOpRunner(pickups: pickups), node: name,
                        configuration: ClusterEngineConfiguration(engine: EngineBenchmarks.configuration),
                        logger: EngineBenchmarks.quietLogger))
            }
            let opened = stores
            return StoreComparison.Setup(
                submitters: [nodes[0], nodes[1]], all: nodes,
                close: { for store in opened { await store.close() } })
        }

        /// Empties the task tables (if they exist) and, unless `durable` is `nil`, sets fsync and
        /// synchronous_commit server-wide (`ALTER SYSTEM`, reload) and waits until new sessions see the setting.
        static func prepare(url: String, durable: Bool?) async throws {
            let store = try PostgresClusterStoreConfiguration(url: url)
            let configuration = PostgresConnection.Configuration(
                host: store.host, port: store.port, username: store.username, password: store.password,
                database: store.database, tls: .disable)
            let logger = EngineBenchmarks.quietLogger
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
            do {
                try await configure(connection, durable: durable, logger: logger)
                try await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
            guard let durable else { return }
            let value = durable ? "on" : "off"
            for _ in 0..<50 {
                let probe = try await PostgresConnection.connect(configuration: configuration, id: 2, logger: logger)
                var seen = ""
                for try await row in try await probe.query("SHOW synchronous_commit", logger: logger) {
                    seen = try row.decode(String.self)
                }
                try await probe.close()
                if seen == value { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw BenchError("the server did not take synchronous_commit = \(value)")
        }

        private static func configure(_ connection: PostgresConnection, durable: Bool?, logger: Logger) async throws {
            try await connection.query(
                "DO $$ BEGIN IF to_regclass('errand_tasks') IS NOT NULL THEN TRUNCATE errand_tasks CASCADE; END IF; END $$",
                logger: logger)
            guard let durable else { return }
            let value = durable ? "on" : "off"
            try await connection.query(PostgresQuery(unsafeSQL: "ALTER SYSTEM SET fsync = \(value)"), logger: logger)
            try await connection.query(
                PostgresQuery(unsafeSQL: "ALTER SYSTEM SET synchronous_commit = \(value)"), logger: logger)
            try await connection.query("SELECT pg_reload_conf()", logger: logger)
        }
    }
#endif
