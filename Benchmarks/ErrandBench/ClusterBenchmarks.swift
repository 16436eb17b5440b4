#if Postgres
    import ErrandEngine
    import ErrandPostgres
    import Logging

    /// Two `ClusterEngine` nodes on one PostgreSQL database, each with its own store (its own connections, as two
    /// processes would have): node A accepts tasks and runs nothing, node W runs them with the no-op runner.
    enum ClusterBenchmarks {
        struct Result {
            var pickup: LatencySummary
            var throughput: EngineBenchmarks.Throughput
        }

        static func run(url: String, idle: Int, submitters: Int, seconds: Double) async throws -> Result {
            let configuration = try PostgresClusterStoreConfiguration(url: url)
            let logger = EngineBenchmarks.quietLogger
            let storeA = try await PostgresClusterStore.open(configuration: configuration, logger: logger)
            let storeW = try await PostgresClusterStore.open(configuration: configuration, logger: logger)
            let pickups = PickupLog(capacity: idle)
            var limits = EngineBenchmarks.configuration
            limits.maxConcurrentTasks = 0
            let nodeA = ClusterEngine(
                store: storeA, runner: NoOpRunner(pickups: pickups), node: "bench-a",
                configuration: ClusterEngineConfiguration(engine: limits), logger: logger)
            limits.maxConcurrentTasks = 64
            let nodeW = ClusterEngine(
                store: storeW, runner: NoOpRunner(pickups: pickups), node: "bench-w",
                configuration: ClusterEngineConfiguration(engine: limits), logger: logger)
            try await nodeA.start()
            try await nodeW.start()

            // Pickup: one task at a time, submitted on A, picked up by W (woken by NOTIFY).
            for _ in 0..<idle {
                let task = try await nodeA.submit(EngineBenchmarks.submission(stamp: monotonicNanoseconds()))
                _ = try await nodeA.waitForTerminal(task.id, for: EngineBenchmarks.owner)
            }
            let pickup = LatencySummary(pickups.drain())

            // Throughput: `submitters` loops of submit on A + wait on A for the end W stored.
            let (cycles, elapsed) = try await EngineBenchmarks.cycles(
                on: nodeA, submitters: submitters, seconds: seconds)
            await nodeA.shutdown()
            await nodeW.shutdown()
            await storeA.close()
            await storeW.close()
            return Result(
                pickup: pickup,
                throughput: EngineBenchmarks.Throughput(
                    submitters: submitters, completed: cycles.count, seconds: elapsed, cycle: LatencySummary(cycles)))
        }
    }
#endif
