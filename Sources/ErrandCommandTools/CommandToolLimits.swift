/// Bounds on what a command tool's process may make the server hold, with documented defaults.
public struct CommandToolLimits: Sendable, Hashable {
    /// Most bytes of stdout kept as the result text (default 1 MiB); the rest is counted and dropped, and the
    /// result ends with a truncation marker.
    public var maxOutputBytes: Int
    /// Longest stdout or stderr line kept (default 64 KiB); a longer line is cut and marked.
    public var maxLineBytes: Int
    /// How many of the last stderr lines an error result quotes (default 20).
    public var stderrTailLines: Int
    /// SIGTERM → SIGKILL delay when a tool does not set `grace` (default 10 s).
    public var defaultGrace: Duration

    /// - Parameters:
    ///   - maxOutputBytes: Most stdout bytes kept as the result (default 1 MiB).
    ///   - maxLineBytes: Longest line kept (default 64 KiB).
    ///   - stderrTailLines: Stderr lines quoted by an error result (default 20).
    ///   - defaultGrace: Delay between SIGTERM and SIGKILL on cancel (default 10 s).
    public init(
        maxOutputBytes: Int = 1 << 20, maxLineBytes: Int = 64 << 10, stderrTailLines: Int = 20,
        defaultGrace: Duration = .seconds(10)
    ) {
        self.maxOutputBytes = max(0, maxOutputBytes)
        self.maxLineBytes = max(1, maxLineBytes)
        self.stderrTailLines = max(0, stderrTailLines)
        self.defaultGrace = defaultGrace
    }
}
