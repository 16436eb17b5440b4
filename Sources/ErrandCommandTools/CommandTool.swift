import Errand
import ErrandEngine
import ErrandProtocol
import Subprocess

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Makes a ``Tool`` whose handler runs a declared command.
enum CommandTool {
    static func make(_ declaration: CommandToolDeclaration, limits: CommandToolLimits) -> Tool {
        let gate = declaration.concurrency.map { ConcurrencyGate(limit: $0) }
        return Tool(
            name: declaration.name, description: declaration.description, inputSchema: declaration.inputSchema,
            taskSupport: declaration.taskSupport,
            pollIntervalMs: declaration.pollInterval.map(DurationText.milliseconds),
            policy: TaskPolicy(timeout: declaration.timeout, maxAttempts: declaration.retries + 1),
            allowed: declaration.allowed
        ) { arguments, context in
            if let gate { try await gate.enter() }
            do {
                let output = try await call(declaration, arguments: arguments.json, limits: limits, context: context)
                if let gate { await gate.leave() }
                return output
            } catch {
                if let gate { await gate.leave() }
                throw error
            }
        }
    }

    /// One call: renders the argv, runs it (bounded by the tool's timeout), and turns the exit into a result.
    static func call(
        _ declaration: CommandToolDeclaration, arguments: JSONValue, limits: CommandToolLimits, context: ToolContext
    ) async throws -> ToolOutput {
        let invocation = CommandInvocation(declaration, arguments: arguments, serverEnvironment: serverEnvironment())
        let completion = try await withThrowingTaskGroup(of: CommandProcess.Completion?.self) { group in
            group.addTask { try await CommandProcess.run(invocation, limits: limits, context: context) }
            if let timeout = declaration.timeout {
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        guard let completion else {
            let limit = declaration.timeout.map(DurationText.format) ?? "?"
            throw ToolError("'\(invocation.program)' timed out after \(limit) and was killed")
        }
        return result(of: completion, program: invocation.program)
    }

    /// Exit 0 → the stdout text; anything else → an error result with the exit code and the end of stderr.
    static func result(of completion: CommandProcess.Completion, program: String) -> ToolOutput {
        let how: String
        switch completion.status {
        case .exited(let code):
            if code == 0 { return .text(completion.collected.stdout) }
            how = "exited with code \(code)"
        case .signaled(let signal):
            how = "was killed by signal \(signal)"
        }
        var message = "'\(program)' \(how)"
        let tail = completion.collected.stderrTail
        if !tail.isEmpty { message += "; the end of its stderr:\n" + tail.joined(separator: "\n") }
        return .error(message)
    }

    /// PATH, HOME and LANG as the server has them now (the only variables a command inherits).
    static func serverEnvironment() -> [String: String] {
        var environment: [String: String] = [:]
        for name in CommandEnvironment.inherited {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return environment
    }
}
