/// Why a command tool file could not be loaded: which file, which line, and what is wrong.
public struct CommandToolFileError: Error, Sendable, CustomStringConvertible {
    /// The file's path (or the `source` name given to ``CommandToolFile/parse(yaml:source:limits:)``).
    public var file: String
    /// The 1-based line of the problem, when it is known.
    public var line: Int?
    /// What is wrong, in words a person can act on.
    public var reason: String

    public init(file: String, line: Int?, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    /// `file:line: reason`, or `file: reason` when no line is known.
    public var description: String {
        if let line { return "\(file):\(line): \(reason)" }
        return "\(file): \(reason)"
    }
}
