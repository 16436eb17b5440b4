import ErrandProtocol

/// One run of a command tool: the argv rendered from the call's arguments, and how to run it.
struct CommandInvocation: Sendable {
    /// argv[0]: a name looked up on the tool's PATH, or a path.
    var program: String
    var arguments: [String]
    /// The complete environment of the process.
    var environment: [String: String]
    var workingDirectory: String?
    var grace: Duration
    var interactive: Bool

    /// Renders `declaration`'s argv for one call's `arguments` (already validated against its schema).
    init(_ declaration: CommandToolDeclaration, arguments: JSONValue, serverEnvironment: [String: String]) {
        let values = arguments.objectValue ?? [:]
        let argv = declaration.command.flatMap { $0.render(values) }
        program = argv.first ?? ""
        self.arguments = Array(argv.dropFirst())
        environment = CommandEnvironment.make(server: serverEnvironment, tool: declaration.environment)
        workingDirectory = declaration.workingDirectory
        grace = declaration.grace
        interactive = declaration.interactive
    }
}

/// The clean environment a command runs with.
enum CommandEnvironment {
    /// The only variables a command inherits from the server; everything else (tokens, database URLs) stays out.
    static let inherited = ["PATH", "HOME", "LANG"]
    static let fallbackPath = "/usr/local/bin:/usr/bin:/bin"

    /// PATH, HOME and LANG from `server` (PATH defaulting to a standard one), then the tool's own `env`.
    static func make(server: [String: String], tool: [String: String]) -> [String: String] {
        var environment: [String: String] = ["PATH": fallbackPath]
        for name in inherited { if let value = server[name] { environment[name] = value } }
        environment.merge(tool) { _, toolValue in toolValue }
        return environment
    }
}
