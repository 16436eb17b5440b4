public import ArgumentParser
import Errand
import ErrandDemo
import ErrandEngine
import ErrandHTTP
import ErrandSQLite
import Glibc
public import Logging

/// `errand serve`: the MCP endpoint, the REST API and the dashboard, with the demo tools.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve MCP at /mcp, health at /healthz and the dashboard at /, with the demo tools.")

    @Option(help: "Address to bind. Anything but loopback exposes the server to the network.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free port.")
    var port = 8080

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(
        help: ArgumentHelp(
            "Task store: 'sqlite:PATH' (one SQLite file, kept across restarts) or 'memory' (lost on exit).",
            discussion: """
                The default keeps tasks in \(SQLiteTaskStore.defaultPath) under the working directory, creating \
                the file and its directories. Queued tasks run after a restart; tasks that were running are run \
                again if their retry policy allows, else they fail with "Server restarted while the task was running".
                """,
            valueName: "store"))
    var store = "sqlite:" + SQLiteTaskStore.defaultPath

    @Option(help: "Directory of the dashboard's static files.")
    var publicDir = "Public"

    @Option(help: "Tasks running at once; more wait in a queue.")
    var maxConcurrentTasks = 256

    @OptionGroup(title: "Authentication")
    var auth: AuthOptions

    func validate() throws {
        try auth.validate(host: host)
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxConcurrentTasks > 0 else { throw ValidationError("--max-concurrent-tasks must be positive") }
        _ = try StoreOption(store)
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "errand")
        var configuration = ErrandConfiguration()
        configuration.http.host = host
        configuration.http.port = port
        configuration.engine.maxConcurrentTasks = maxConcurrentTasks
        configuration.publicDirectory = publicDir
        configuration.authenticator = try auth.authenticator(host: host, logger: logger)

        let taskStore: any TaskStore
        var sqliteStore: SQLiteTaskStore?
        switch try StoreOption(store) {
        case .memory: taskStore = MemoryTaskStore()
        case .sqlite(let path):
            let opened = try SQLiteTaskStore(path: path, logger: logger)
            sqliteStore = opened
            taskStore = opened
        }
        // Watch for SIGINT/SIGTERM before anything can announce readiness, so no early signal is lost.
        let signals = SignalWatcher()
        let application = ErrandApplication(
            configuration: configuration, catalog: DemoCatalog.make(), store: taskStore, logger: logger)
        try await application.start()
        let stopHangups = auth.reloadOnHangup(application, logger: logger)
        defer { stopHangups?() }
        let server = HTTPServer(configuration: configuration.http, responder: application, logger: logger)
        let boundPort = try server.start()
        let shownHost = host.contains(":") ? "[\(host)]" : host
        StandardOutput.writeLine("listening on http://\(shownHost):\(boundPort)")

        let signal = await signals.wait()
        logger.info("shutting down", metadata: ["signal": "\(signal)"])
        await server.shutdown(gracePeriod: configuration.shutdownGracePeriod)
        await application.shutdown()
        try await sqliteStore?.close()
    }
}

/// What `--store` names.
enum StoreOption: Equatable {
    case memory
    case sqlite(path: String)

    init(_ text: String) throws {
        if text == "memory" {
            self = .memory
        } else if text.hasPrefix("sqlite:"), text.count > "sqlite:".count {
            self = .sqlite(path: String(text.dropFirst("sqlite:".count)))
        } else {
            throw ValidationError("--store '\(text)' is not supported; use 'sqlite:PATH' or 'memory'")
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Unbuffered lines on standard output (the `listening on` line scripts wait for).
enum StandardOutput {
    static func writeLine(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }
}
