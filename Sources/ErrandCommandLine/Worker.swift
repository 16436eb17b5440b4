import ArgumentParser
import Errand
import ErrandEngine
import ErrandHTTP
import Logging
import ServiceLifecycle

/// `errand worker`: runs the program's tools for tasks in a shared PostgreSQL database; serves no HTTP.
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the tools for tasks that `errand serve` nodes accept into a shared PostgreSQL database.",
        discussion: """
            Prints "worker NAME ready" on standard output once it claims work. SIGTERM or SIGINT stops it: running \
            tasks are left to their retry policy, and other nodes take them over when their leases end.
            """)

    @Option(help: "The shared task store: postgres://USER:PASSWORD@HOST:PORT/DATABASE.")
    var store: String

    @Option(help: "Tasks this worker runs at once.")
    var maxConcurrentTasks = 16

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @OptionGroup(title: "Node")
    var cluster: ClusterOptions

    @OptionGroup(title: "Command tools")
    var tools: ToolFileOptions

    func validate() throws {
        guard case .postgres = try StoreOption(store) else {
            throw ValidationError("--store must be a postgres:// URL: a worker shares its tasks with serve nodes")
        }
        try ClusterOptions.requirePostgresSupport()
        guard maxConcurrentTasks > 0 else { throw ValidationError("--max-concurrent-tasks must be positive") }
        try cluster.validate()
    }

    func run() async throws {
        let logger = StandardError.bootstrapLogging(level: logLevel)
        var limits = TaskEngineConfiguration()
        limits.maxConcurrentTasks = maxConcurrentTasks
        let programCatalog = ErrandProgram.current.makeCatalog()
        let catalog = try tools.catalog(adding: programCatalog)  // a broken file stops the worker before it joins
        let node: ClusterNode
        do {
            node = try await cluster.openNode(url: store, engine: limits, logger: logger)
        } catch let error as ValidationError {
            throw error
        } catch {
            throw StartFailure.report(
                "could not open the task store \(StoreURL.withoutPassword(store))", error)
        }
        let runner = CatalogRunner(catalog: catalog, logger: logger)
        let engine = node.makeEngine(runner)
        runner.engine.set(engine)
        let tools = self.tools
        let stopHangups =
            tools.files.isEmpty
            ? nil : Hangup.handle { tools.reload(into: runner.liveCatalog, base: programCatalog, logger: logger) }
        defer { stopHangups?() }

        let started = StartGate()
        let name = node.name
        let announce = AnnounceService(started: started) { StandardOutput.writeLine("worker \(name) ready") }
        let group = ServiceGroup.errand(
            [
                ClosingService(description: "task store", close: node.close, logger: logger),
                EngineService(
                    description: "task engine", start: { try await engine.start() },
                    shutdown: { await engine.shutdown() }, started: started),
                announce,
            ], logger: logger)
        try await group.runCommand(started: started, logger: logger)
    }
}
