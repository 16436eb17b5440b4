public import ErrandProtocol

/// Why a client request did not produce an answer.
///
/// A task that ran and failed is not an error: it is a ``TaskOutcome``. These are the cases where the client
/// could not get an answer at all, or where the server refused the request.
public enum MCPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection: the host is unknown, refused the connection, or did not answer in time.
    case unreachable(String)
    /// The server answered with an HTTP status that is not a JSON-RPC answer (401, 403, 404 without a body…).
    case httpStatus(Int, String)
    /// The server answered the request with a JSON-RPC error (unknown tool, unknown task id, bad arguments…).
    case rejected(JSONRPCError)
    /// The server's answer broke the protocol (not JSON, no response for the request, an unknown shape).
    case protocolViolation(String)
    /// An answer exceeded one of the client's ``MCPClientConfiguration/Limits``.
    case limitExceeded(String)
    /// The server does not offer what was asked (no tasks, no task list, no log endpoint).
    case unsupported(String)

    public var description: String {
        switch self {
        case .unreachable(let detail): return "server unreachable: \(detail)"
        case .httpStatus(let status, let detail): return "HTTP \(status)" + (detail.isEmpty ? "" : ": \(detail)")
        case .rejected(let error): return "server refused the request: \(error.message) (JSON-RPC \(error.code))"
        case .protocolViolation(let detail): return "protocol error: \(detail)"
        case .limitExceeded(let detail): return "limit exceeded: \(detail)"
        case .unsupported(let detail): return "not supported by this server: \(detail)"
        }
    }
}
