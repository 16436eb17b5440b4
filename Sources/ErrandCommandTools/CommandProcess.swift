import Errand
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs one ``CommandInvocation`` as a process in its own session and process group, and makes sure nothing of
/// it outlives the call.
///
/// - Normal end: once the leader exits, the group gets SIGKILL, so backgrounded grandchildren die with it.
/// - Cancellation (the engine's cancel and timeout, the tool's own timeout, shutdown): the group gets SIGTERM,
///   then SIGKILL once `grace` has passed or every member has exited, whichever comes first.
enum CommandProcess {
    /// How a run ended.
    struct Completion: Sendable {
        var status: TerminationStatus
        var collected: CommandStreams.Collected
    }

    /// Runs `invocation`, streaming its output to `context` (progress, log, input) and collecting its result.
    /// - Throws: `CancellationError` when the calling task is cancelled (after the group is dead), ``ToolError``
    ///   when the program cannot be started.
    static func run(_ invocation: CommandInvocation, limits: CommandToolLimits, context: ToolContext) async throws
        -> Completion
    {
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [
            .gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: invocation.grace)
        ]
        let watch = RunWatch()
        let outcome: Result<Completion, any Error>
        do {
            outcome = .success(
                try await withTaskCancellationHandler {
                    try await spawn(invocation, options: options, limits: limits, context: context, watch: watch)
                } onCancel: {
                    watch.noteCancelled()
                })
        } catch {
            outcome = .failure(error)
        }
        if let group = watch.group {
            if let cancelled = watch.cancelledAt {
                await group.finishTermination(sigtermSentAt: cancelled, grace: invocation.grace)
            } else {
                await group.kill()
            }
        }
        if Task.isCancelled { throw CancellationError() }
        switch outcome {
        case .success(let completion): return completion
        case .failure(let error): throw describe(error, invocation)
        }
    }

    private static func spawn(
        _ invocation: CommandInvocation, options: PlatformOptions, limits: CommandToolLimits, context: ToolContext,
        watch: RunWatch
    ) async throws -> Completion {
        let searchPath = invocation.environment["PATH"] ?? CommandEnvironment.fallbackPath
        guard let programPath = ProgramLookup.resolve(invocation.program, searchPath: searchPath) else {
            throw ToolError("program '\(invocation.program)' not found")
        }
        let executable = Executable.path(FilePath(programPath))
        // argv[0] stays as the tool file wrote it.
        let arguments = Arguments(executablePathOverride: invocation.program, remainingValues: invocation.arguments)
        let environment = Environment.custom(
            Dictionary(uniqueKeysWithValues: invocation.environment.map { (Environment.Key(stringLiteral: $0), $1) }))
        let workingDirectory = invocation.workingDirectory.map { FilePath($0) }
        if invocation.interactive {
            BrokenPipe.ignore()
            let result = try await Subprocess.run(
                executable, arguments: arguments, environment: environment,
                workingDirectory: workingDirectory, platformOptions: options, input: .inputWriter,
                output: .sequence, error: .sequence
            ) { execution in
                watch.started(execution.processIdentifier.value)
                let writer = execution.standardInputWriter
                let streams = CommandStreams(limits: limits, context: context, watch: watch) { line in
                    _ = try await writer.write(line)
                }
                let collected = try await streams.readUncancelled(
                    stdout: execution.standardOutput, stderr: execution.standardError)
                try? await writer.finish()
                return collected
            }
            return Completion(status: result.terminationStatus, collected: result.closureResult)
        }
        let result = try await Subprocess.run(
            executable, arguments: arguments, environment: environment,
            workingDirectory: workingDirectory, platformOptions: options, input: .none, output: .sequence,
            error: .sequence
        ) { execution in
            watch.started(execution.processIdentifier.value)
            let streams = CommandStreams(limits: limits, context: context, watch: watch, answer: nil)
            return try await streams.readUncancelled(
                stdout: execution.standardOutput, stderr: execution.standardError)
        }
        return Completion(status: result.terminationStatus, collected: result.closureResult)
    }

    /// A start failure in words: a missing program, a missing working directory.
    private static func describe(_ error: any Error, _ invocation: CommandInvocation) -> any Error {
        guard let subprocessError = error as? SubprocessError else { return error }
        switch subprocessError.code {
        case .executableNotFound:
            return ToolError("program '\(invocation.program)' not found")
        case .failedToChangeWorkingDirectory:
            return ToolError("cannot run in working directory '\(invocation.workingDirectory ?? "")'")
        case .spawnFailed where subprocessError.underlyingError?.rawValue == ENOENT:
            return ToolError("program '\(invocation.program)' not found")
        default:
            return ToolError("running '\(invocation.program)' failed: \(subprocessError)")
        }
    }
}

/// Writing to the stdin of a command that has exited must fail with EPIPE, not kill the server with SIGPIPE.
enum BrokenPipe {
    private static let ignored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Ignores SIGPIPE in this process (once; servers do anyway). Only interactive command tools need it.
    static func ignore() { ignored }
}
