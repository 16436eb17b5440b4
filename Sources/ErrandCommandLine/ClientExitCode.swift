import ArgumentParser
import ErrandClient

/// The exit statuses of the client commands (`call`, `tasks …`), for scripts.
enum ClientExitCode: Int32, CaseIterable {
    case completed = 0
    case toolError = 1
    case failed = 2
    case cancelled = 3
    case refused = 4
    case needsInput = 5
    case usage = 64
    case unreachable = 69
    case protocolError = 76
    case unauthorized = 77

    var meaning: String {
        switch self {
        case .completed: return "completed (the tool's result is printed)"
        case .toolError: return "the tool reported an error (isError)"
        case .failed: return "the task failed (a JSON-RPC error)"
        case .cancelled: return "the task was cancelled"
        case .refused: return "the server refused the request (unknown tool or task id, bad arguments) or lacks it"
        case .needsInput: return "the task asks for input and there is no terminal to ask (or --json)"
        case .usage: return "usage error (bad option, bad k=v)"
        case .unreachable: return "server unreachable (connection refused, no answer, bad host)"
        case .protocolError: return "the server's answer broke the protocol"
        case .unauthorized: return "the server refused the credentials (HTTP 401/403)"
        }
    }

    /// The table for `--help`.
    static var helpText: String {
        "Exit status: " + allCases.map { "\($0.rawValue) \($0.meaning)" }.joined(separator: "; ") + "."
    }

    var exit: ExitCode { ExitCode(rawValue) }

    /// The status for a task's outcome.
    init(_ outcome: TaskOutcome) {
        switch outcome {
        case .completed(let result): self = result.isError ? .toolError : .completed
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        }
    }

    /// The status for a client error.
    init(_ error: MCPClientError) {
        switch error {
        case .unreachable: self = .unreachable
        case .httpStatus(401, _), .httpStatus(403, _): self = .unauthorized
        case .rejected, .unsupported: self = .refused
        case .httpStatus, .protocolViolation, .limitExceeded: self = .protocolError
        }
    }
}
