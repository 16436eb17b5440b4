public import ArgumentParser
import Errand
import ErrandEngine
import ErrandHTTP
import ErrandSQLite
public import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `errand serve`: the MCP endpoint, the REST API and the dashboard, with the program's tools.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve MCP at /mcp, the REST API at /api, health at /healthz and the dashboard at /.")

    @Option(help: "Address to bind. Anything but loopback exposes the server to the network.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free port.")
    var port = 8080

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(
        help: ArgumentHelp(
            "Task store: 'sqlite:PATH' (one SQLite file, kept across restarts), 'memory' (lost on exit) or"
                + " 'postgres://USER:PASSWORD@HOST:PORT/DATABASE' (shared by many nodes; needs the Postgres trait).",
            discussion: """
                The default keeps tasks in \(SQLiteTaskStore.defaultPath) under the working directory, creating \
                the file and its directories. Queued tasks run after a restart; tasks that were running are run \
                again if their retry policy allows, else they fail with "Server restarted while the task was running".
                """,
            valueName: "store"))
    var store = "sqlite:" + SQLiteTaskStore.defaultPath

    @Option(
        help: ArgumentHelp(
            "SQLite durability: 'normal' (a stored task survives the process being killed) or 'full' (also a"
                + " power loss: one fsync per group commit).",
            valueName: "normal|full"))
    var sqliteSynchronous: SQLiteTaskStoreConfiguration.Synchronous = .normal

    @Option(
        help: ArgumentHelp(
            "Directory of the dashboard's static files.",
            discussion: "Default: Public in the working directory, else beside the executable "
                + "(BIN/../share/errand/Public, or the Public of the package it was built in).",
            valueName: "dir"))
    var publicDir: String?

    @Option(help: "Tasks running at once; more wait in a queue. With a PostgreSQL store 0 makes a serve-only node.")
    var maxConcurrentTasks = 256

    @OptionGroup(title: "Many nodes (PostgreSQL store)")
    var cluster: ClusterOptions

    @OptionGroup(title: "Authentication")
    var auth: AuthOptions

    @OptionGroup(title: "Command tools")
    var tools: ToolFileOptions

    @OptionGroup(title: "Limits")
    var limits: LimitOptions

    func validate() throws {
        try auth.validate(host: host)
        if let publicDir, !DashboardLocation.hasDashboard(publicDir) {
            throw ValidationError("--public-dir \(publicDir) has no index.html: it is not the dashboard's directory")
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        let storeOption = try StoreOption(store)
        if case .postgres = storeOption {
            try ClusterOptions.requirePostgresSupport()
            guard maxConcurrentTasks >= 0 else {
                throw ValidationError("--max-concurrent-tasks must be 0 (serve-only) or more")
            }
        } else {
            guard maxConcurrentTasks > 0 else { throw ValidationError("--max-concurrent-tasks must be positive") }
        }
        try cluster.validate()
    }

    func run() async throws {
        let logger = StandardError.bootstrapLogging(level: logLevel)
        var configuration = ErrandConfiguration()
        configuration.http.host = host
        configuration.http.port = port
        configuration.engine.maxConcurrentTasks = maxConcurrentTasks
        configuration.engine.nodeName = cluster.nodeName
        limits.apply(to: &configuration)
        configuration.publicDirectory = publicDir ?? DashboardLocation.find()
        if configuration.publicDirectory == nil {
            logger.warning(
                "no dashboard found (no Public/ here or beside the executable): / answers 404; pass --public-dir",
                metadata: [
                    "tried": "\(DashboardLocation.candidates(executable: DashboardLocation.currentExecutable()))"
                ])
        }
        configuration.authenticator = try auth.authenticator(host: host, logger: logger)
        let programCatalog = ErrandProgram.current.makeCatalog()
        let catalog = try tools.catalog(adding: programCatalog)

        var closeStore: @Sendable () async throws -> Void = {}
        let application: ErrandApplication
        do {
            switch try StoreOption(store) {
            case .memory:
                application = ErrandApplication(
                    configuration: configuration, catalog: catalog, store: MemoryTaskStore(), logger: logger)
            case .sqlite(let path):
                var sqliteConfiguration = SQLiteTaskStoreConfiguration()
                sqliteConfiguration.synchronous = sqliteSynchronous
                let opened = try SQLiteTaskStore(path: path, configuration: sqliteConfiguration, logger: logger)
                closeStore = { try await opened.close() }
                application = ErrandApplication(
                    configuration: configuration, catalog: catalog, store: opened, logger: logger)
            case .postgres(let url):
                let node = try await cluster.openNode(url: url, engine: configuration.engine, logger: logger)
                closeStore = node.close
                application = ErrandApplication(
                    configuration: configuration, catalog: catalog, logger: logger, engine: node.makeEngine)
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw StartFailure.report(
                "could not open the task store \(StoreURL.withoutPassword(store))", error)
        }
        var stopHangups: (() -> Void)?
        if application.requiresAuthentication || !tools.files.isEmpty {
            let tools = self.tools
            stopHangups = Hangup.handle {
                if application.requiresAuthentication {
                    logger.info("SIGHUP: reloading the tokens file")
                    application.reloadAuthentication()
                }
                tools.reload(into: application.mcp.liveCatalog, base: programCatalog, logger: logger)
            }
        }
        defer { stopHangups?() }

        let engineStarted = StartGate()
        let listening = StartGate()
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let group = ServiceGroup.errand(
            [
                ClosingService(description: "task store", close: closeStore, logger: logger),
                EngineService(
                    description: "task engine", start: { try await application.start() },
                    shutdown: { await application.shutdown() }, started: engineStarted),
                HTTPService(
                    server: HTTPServer(configuration: configuration.http, responder: application, logger: logger),
                    gracePeriod: configuration.shutdownGracePeriod, engineStarted: engineStarted,
                    listening: { port in
                        listening.open()
                        StandardOutput.writeLine("listening on http://\(shownHost):\(port)")
                    }),
            ], logger: logger)
        try await group.runCommand(started: listening, logger: logger)
    }
}

/// What `--store` names.
enum StoreOption: Equatable {
    case memory
    case sqlite(path: String)
    /// A PostgreSQL URL (checked when the store opens; builds without the trait refuse it in `validate()`).
    case postgres(url: String)

    init(_ text: String) throws {
        if text == "memory" {
            self = .memory
        } else if text.hasPrefix("sqlite:"), text.count > "sqlite:".count {
            self = .sqlite(path: String(text.dropFirst("sqlite:".count)))
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else {
            throw ValidationError(
                "--store '\(text)' is not supported; use 'sqlite:PATH', 'memory' or 'postgres://USER:PASSWORD@HOST:PORT/DB'"
            )
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

extension SQLiteTaskStoreConfiguration.Synchronous: ExpressibleByArgument {
    init?(argument: String) { self.init(rawValue: argument.uppercased()) }
    var defaultValueDescription: String { rawValue.lowercased() }
}

/// Logging for a command: every logger writes to standard error at `level`.
enum StandardError {
    /// Bootstraps the logging system once per process and returns the command's logger.
    static func bootstrapLogging(level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "errand")
    }
}

/// Unbuffered lines on standard output (the `listening on` line scripts wait for).
enum StandardOutput {
    static func writeLine(_ line: String, to descriptor: Int32 = STDOUT_FILENO) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { _ = write(descriptor, $0.baseAddress, $0.count) }
    }
}
