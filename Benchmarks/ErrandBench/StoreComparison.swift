import ErrandEngine
import ErrandSQLite
import Glibc

/// Memory, SQLite and PostgreSQL stores side by side in one run: the same no-op tool, the same submitters, each
/// waiting for its task to end before submitting the next (`ErrandBench stores`, see ``StoreOptions``).
enum StoreComparison {
    /// One configuration's figures.
    struct Figures {
        var name: String
        var rate: Double
        /// CPU of this process per task (a PostgreSQL server's CPU is not in it).
        var cpuMicros: Double
        /// CPU of the PostgreSQL server per task, when measured (`--postgres-pid`).
        var serverCPUMicros: Double?
        var cycle: LatencySummary
        /// How long `submit` took (the call only, not the wait for the task to end).
        var submit: LatencySummary
        var pickup: LatencySummary
    }

    /// A configuration under test: `submitters` take submissions (submitter loop `i` uses `submitters[i % count]`)
    /// and are waited on, `all` are started and stopped.
    struct Setup {
        var submitters: [any TaskService]
        var all: [any TaskService]
        /// Closes the stores once the engines stopped.
        var close: @Sendable () async throws -> Void
        /// CPU time (ns) the database server has used so far, if it is measured.
        var serverNanoseconds: (@Sendable () -> Int64)? = nil

        init(
            submitter: any TaskService, all: [any TaskService], close: @escaping @Sendable () async throws -> Void
        ) {
            self.init(submitters: [submitter], all: all, close: close)
        }

        init(
            submitters: [any TaskService], all: [any TaskService],
            close: @escaping @Sendable () async throws -> Void
        ) {
            self.submitters = submitters
            self.all = all
            self.close = close
        }
    }

    /// Starts the setup, measures `idle` one-at-a-time tasks (pickup latency), then `count` tasks from
    /// `submitters` concurrent callers (after a warm-up of `count / 10`, at most 500), and stops it.
    static func measure(
        _ name: String, _ setup: Setup, pickups: PickupLog, count: Int, submitters: Int, idle: Int
    ) async throws -> Figures {
        for service in setup.all { try await service.start() }
        let service = setup.submitters[0]
        for _ in 0..<idle {
            let task = try await service.submit(EngineBenchmarks.submission(stamp: monotonicNanoseconds()))
            _ = try await service.waitForTerminal(task.id, for: EngineBenchmarks.owner)
        }
        let pickup = LatencySummary(pickups.drain())
        _ = try await run(setup.submitters, count: min(500, count / 10), submitters: submitters)
        let cpuBefore = schedulerNanoseconds().onCPU
        let serverBefore = setup.serverNanoseconds?()
        let start = monotonicNanoseconds()
        let (cycles, submits) = try await run(setup.submitters, count: count, submitters: submitters)
        let elapsed = Double(monotonicNanoseconds() - start) / 1e9
        let cpu = Double(schedulerNanoseconds().onCPU - cpuBefore) / 1000
        var serverCPU: Double?
        if let serverBefore, let serverAfter = setup.serverNanoseconds?() {
            serverCPU = Double(serverAfter - serverBefore) / 1000
        }
        for service in setup.all { await service.shutdown() }
        try await setup.close()
        return Figures(
            name: name, rate: Double(count) / elapsed, cpuMicros: cpu / Double(max(count, 1)),
            serverCPUMicros: serverCPU.map { $0 / Double(max(count, 1)) }, cycle: LatencySummary(cycles),
            submit: LatencySummary(submits), pickup: pickup)
    }

    /// `count` tasks from `submitters` loops of submit + `waitForTerminal`; the submit→completed time of each, and
    /// the time each `submit` call took.
    static func run(_ services: [any TaskService], count: Int, submitters: Int) async throws -> (
        cycles: [Int64], submits: [Int64]
    ) {
        try await withThrowingTaskGroup(of: ([Int64], [Int64]).self) { group in
            for submitter in 0..<submitters {
                let share = count / submitters + (submitter < count % submitters ? 1 : 0)
                let service = services[submitter % services.count]
                group.addTask {
                    var samples: [Int64] = []
                    var submits: [Int64] = []
                    samples.reserveCapacity(share)
                    submits.reserveCapacity(share)
                    for _ in 0..<share {
                        let begin = monotonicNanoseconds()
                        let task = try await service.submit(EngineBenchmarks.submission(stamp: begin))
                        submits.append(monotonicNanoseconds() - begin)
                        let done = try await service.waitForTerminal(task.id, for: EngineBenchmarks.owner)
                        guard done.status == .completed else { throw BenchError("task ended \(done.status)") }
                        samples.append(monotonicNanoseconds() - begin)
                    }
                    return (samples, submits)
                }
            }
            var all: [Int64] = []
            var allSubmits: [Int64] = []
            for try await (samples, submits) in group {
                all += samples
                allSubmits += submits
            }
            return (all, allSubmits)
        }
    }

    static func memory(_ pickups: PickupLog) -> Setup {
        let engine = TaskEngine(
            store: MemoryTaskStore(), runner: NoOpRunner(pickups: pickups),
            configuration: EngineBenchmarks.configuration, logger: EngineBenchmarks.quietLogger)
        return Setup(submitter: engine, all: [engine], close: {})
    }

    /// One ``ClusterEngine`` node over a ``MemoryClusterStore``: the cluster engine's own cost, no database.
    static func memoryCluster(_ pickups: PickupLog) -> Setup {
        let store = MemoryClusterStore()
        let node = ClusterEngine(
            store: store, runner: NoOpRunner(pickups: pickups), node: "bench-memory",
            configuration: ClusterEngineConfiguration(engine: EngineBenchmarks.configuration),
            logger: EngineBenchmarks.quietLogger)
        return Setup(submitter: node, all: [node], close: { store.close() })
    }

    static func sqlite(_ pickups: PickupLog, synchronous: SQLiteTaskStoreConfiguration.Synchronous) throws -> Setup {
        var configuration = SQLiteTaskStoreConfiguration()
        configuration.synchronous = synchronous
        let directory = String(cString: mkdtemp(strdup("/tmp/errand-bench-XXXXXX")))
        let store = try SQLiteTaskStore(
            path: directory + "/tasks.sqlite", configuration: configuration, logger: EngineBenchmarks.quietLogger)
        let engine = TaskEngine(
            store: store, runner: NoOpRunner(pickups: pickups), configuration: EngineBenchmarks.configuration,
            logger: EngineBenchmarks.quietLogger)
        return Setup(
            submitter: engine, all: [engine],
            close: {
                try await store.close()
                for suffix in ["", "-wal", "-shm"] { unlink(directory + "/tasks.sqlite" + suffix) }
                rmdir(directory)
            })
    }

    /// Runs every configuration `rounds` times, interleaved (so a burst of load elsewhere hits all of them), and
    /// prints the median round of each with its ratio to memory's rate.
    static func main(_ options: StoreOptions) async throws {
        let local: [(name: String, make: (PickupLog) async throws -> Setup)] = [
            ("memory (TaskEngine)", { memory($0) }),
            ("memory (ClusterEngine, MemoryClusterStore)", { memoryCluster($0) }),
            ("SQLite synchronous=NORMAL", { try sqlite($0, synchronous: .normal) }),
            ("SQLite synchronous=FULL", { try sqlite($0, synchronous: .full) }),
        ]
        let configurations = local + (try await postgres(options))
        var results: [[Figures]] = Array(repeating: [], count: configurations.count)
        for round in 1...options.rounds {
            for (index, configuration) in configurations.enumerated() {
                progress("round \(round)/\(options.rounds): \(configuration.name)")
                let pickups = PickupLog(capacity: options.idle)
                let setup = try await configuration.make(pickups)
                let figures = try await measure(
                    configuration.name, setup, pickups: pickups, count: options.tasks,
                    submitters: options.submitters, idle: options.idle)
                progress("  \(fixed(figures.rate, 0)) tasks/s")
                results[index].append(figures)
            }
        }
        let medians = results.map { rounds in rounds.sorted { $0.rate < $1.rate }[rounds.count / 2] }
        print(table(medians, options: options, allRates: results.map { $0.map(\.rate) }))
    }

    /// The PostgreSQL configurations, if `--postgres` was given (and the build has the trait).
    static func postgres(
        _ options: StoreOptions
    ) async throws -> [(name: String, make: (PickupLog) async throws -> Setup)] {
        #if Postgres
            return try await PostgresSetups.configurations(options)
        #else
            return []
        #endif
    }

    static func table(_ rows: [Figures], options: StoreOptions, allRates: [[Double]]) -> String {
        let memoryRate = rows.first?.rate ?? 1
        var lines = [
            "\(grouped(Int64(options.tasks))) no-op tasks, \(options.submitters) concurrent submitters (each awaits"
                + " completion); median of \(options.rounds) interleaved round(s); pickup: \(options.idle) one-at-a-time tasks",
            pad("store", 44) + pad("tasks/s", 10, right: true) + pad("× memory", 10, right: true)
                + pad("CPU µs/task", 13, right: true) + pad("server µs", 11, right: true)
                + pad("submit p50", 12, right: true)
                + pad("cycle p50", 12, right: true)
                + pad("cycle p99", 12, right: true) + pad("pickup p50", 12, right: true)
                + pad("pickup p99", 12, right: true) + "  all rounds (tasks/s)",
        ]
        for (row, rates) in zip(rows, allRates) {
            lines.append(
                pad(row.name, 44) + pad(fixed(row.rate, 0), 10, right: true)
                    + pad(fixed(row.rate / memoryRate, 3), 10, right: true)
                    + pad(fixed(row.cpuMicros, 0), 13, right: true)
                    + pad(row.serverCPUMicros.map { fixed($0, 0) } ?? "-", 11, right: true)
                    + pad(duration(row.submit.p50), 12, right: true)
                    + pad(duration(row.cycle.p50), 12, right: true)
                    + pad(duration(row.cycle.p99), 12, right: true) + pad(duration(row.pickup.p50), 12, right: true)
                    + pad(duration(row.pickup.p99), 12, right: true) + "  "
                    + rates.map { fixed($0, 0) }.joined(separator: " "))
        }
        lines.append(
            "CPU µs/task is this process (engines, stores, client side of PostgreSQL); server µs is the PostgreSQL"
                + " server's (postmaster and backends) per task, when --postgres-pid is given.")
        return lines.joined(separator: "\n")
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
