import Errand

/// One entry of a tool file's `tools:` list, checked and ready to run.
struct CommandToolDeclaration: Sendable {
    var name: String
    var description: String
    /// argv: the program, then its arguments, each a template.
    var command: [ArgvTemplate]
    var inputSchema: JSONSchema
    var taskSupport: TaskSupport = .optional
    /// Longest one run may take; then the process group is killed and the call fails.
    var timeout: Duration?
    /// Extra attempts after a failed one.
    var retries = 0
    /// Most processes of this tool at once; `nil` = no limit.
    var concurrency: Int?
    var workingDirectory: String?
    /// Added to PATH, HOME and LANG (and overriding them).
    var environment: [String: String] = [:]
    /// SIGTERM → SIGKILL delay on cancel and timeout.
    var grace: Duration
    var allowed: Set<String>?
    var pollInterval: Duration?
    /// Whether stdin is a pipe the tool answers `@input` requests on (otherwise stdin is empty).
    var interactive = false
}
