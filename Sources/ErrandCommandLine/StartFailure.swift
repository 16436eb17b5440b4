import ArgumentParser

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How `serve` and `worker` end when they cannot run: one clear line on standard error and an exit code a
/// supervisor can tell apart from a usage error (64) — 69 when a resource it needs is unavailable at start (the
/// port is in use, the store cannot be opened, the database is down), 70 when a service fails after the start.
/// In both cases everything that had started was shut down and the store closed first.
enum StartFailure {
    /// `EX_UNAVAILABLE`: could not start.
    static let startExitCode: Int32 = 69
    /// `EX_SOFTWARE`: stopped by a failure after starting.
    static let runtimeExitCode: Int32 = 70

    /// Writes `error: WHAT: ERROR` on standard error and returns the exit to throw.
    static func report(_ what: String, _ error: any Error) -> ExitCode {
        StandardOutput.writeLine("error: \(what): \(error)", to: STDERR_FILENO)
        return ExitCode(startExitCode)
    }
}
