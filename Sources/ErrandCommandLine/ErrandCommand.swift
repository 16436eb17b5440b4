public import ArgumentParser
public import Errand
import Synchronization

/// The `errand` command line — `serve`, `worker`, `token` with every option, and the client commands `call` and
/// `tasks` — for a program's own tools.
///
/// A program of its own gets the whole command line in one call:
///
/// ```swift
/// import ErrandCommandLine
///
/// @main struct MoleculeLab {
///     static func main() async { await ErrandCommand.main(name: "molecule-lab", tools: [screenMolecules]) }
/// }
/// ```
///
/// `molecule-lab serve --store sqlite:lab.sqlite` then serves MCP at `/mcp`, the REST API and the dashboard with
/// those tools, and `molecule-lab worker --store postgres://…` runs the same tools for a cluster.
public struct ErrandCommand: AsyncParsableCommand {
    public static var configuration: CommandConfiguration {
        let program = ErrandProgram.current
        return CommandConfiguration(
            commandName: program.name,
            abstract: program.abstract,
            version: program.version,
            subcommands: [Serve.self, Worker.self, TokenCommand.self, CallCommand.self, TasksCommand.self],
            defaultSubcommand: Serve.self
        )
    }

    public init() {}

    /// Parses the process's arguments and runs the command with `program`'s catalog; exits the process.
    public static func main(program: ErrandProgram) async {
        ErrandProgram.current = program
        await main()
    }

    /// Parses the process's arguments and runs the command with these tools; exits the process.
    /// - Parameters:
    ///   - name: The command's name in `--help` and error messages.
    ///   - tools: The tools served (and run by `worker`). Tools declare their own task support; those that declare
    ///     none may run as tasks (`.optional`).
    public static func main(
        name: String = "errand", abstract: String = ErrandProgram.defaultAbstract, version: String = "0.1.0",
        tools: [Tool]
    ) async {
        await main(
            program: ErrandProgram(name: name, abstract: abstract, version: version) {
                var catalog = Catalog(defaultTaskSupport: .optional)
                for tool in tools { catalog.add(tool) }
                return catalog
            })
    }
}

/// What a program built on Errand serves: its name, version and catalog (tools, resources, prompts).
public struct ErrandProgram: Sendable {
    public static let defaultAbstract =
        "An MCP server for long-running work: tasks that outlive the connection that started them."

    public var name: String
    public var abstract: String
    public var version: String
    /// Builds the catalog; called once per command run (and the tools files are added on top).
    public var makeCatalog: @Sendable () -> Catalog

    public init(
        name: String = "errand", abstract: String = Self.defaultAbstract, version: String = "0.1.0",
        makeCatalog: @escaping @Sendable () -> Catalog
    ) {
        self.name = name
        self.abstract = abstract
        self.version = version
        self.makeCatalog = makeCatalog
    }

    private static let installed = Mutex(ErrandProgram { Catalog(defaultTaskSupport: .optional) })

    /// The program the commands serve; set by ``ErrandCommand/main(program:)``.
    public static var current: ErrandProgram {
        get { installed.withLock { $0 } }
        set { installed.withLock { $0 = newValue } }
    }
}
