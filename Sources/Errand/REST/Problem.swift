import ErrandEngine
public import ErrandHTTP
public import ErrandProtocol

/// An RFC 9457 problem: what went wrong with a REST request, rendered as `application/problem+json`.
///
/// `detail` is written for the person reading it: it says what to change, not just what failed.
public struct Problem: Error, Sendable {
    public var status: Int
    public var title: String
    public var detail: String
    /// A URI naming the problem type; `about:blank` when the status says it all.
    public var type: String
    /// Extension members (e.g. `problems` for validation errors, `retryAfterSeconds`).
    public var extensions: [String: JSONValue]
    public var headers: HTTPHeaders

    public init(
        _ status: Int, _ detail: String, title: String? = nil, type: String = "about:blank",
        extensions: [String: JSONValue] = [:], headers: HTTPHeaders = [:]
    ) {
        self.status = status
        self.title = title ?? Self.reasonPhrase(status)
        self.detail = detail
        self.type = type
        self.extensions = extensions
        self.headers = headers
    }

    public var json: JSONValue {
        var members = extensions
        members["type"] = .string(type)
        members["title"] = .string(title)
        members["status"] = .int(Int64(status))
        members["detail"] = .string(detail)
        return .object(members)
    }

    public var response: HTTPResponse {
        HTTPResponse(
            status: status, contentType: "application/problem+json",
            body: JSONWriter.bytes(json, options: .sortedKeys), headers: headers)
    }

    static func badRequest(_ detail: String) -> Problem { Problem(400, detail) }
    static func notFound(_ detail: String) -> Problem { Problem(404, detail) }
    static func conflict(_ detail: String) -> Problem { Problem(409, detail) }

    static func methodNotAllowed(_ method: String, path: Substring, allow: [String]) -> Problem {
        Problem(
            405, "\(method) is not allowed on \(path); use \(allow.joined(separator: " or ")).",
            headers: ["Allow": allow.joined(separator: ", ")])
    }

    /// The problem an engine refusal becomes.
    static func engine(_ error: TaskEngineError) -> Problem {
        switch error.code {
        case .notFound:
            return Problem(404, error.message)
        case .alreadyTerminal, .notTerminal:
            return Problem(409, error.message)
        case .invalidCursor:
            return Problem(400, error.message + " (pass back the nextCursor of the previous page unchanged)")
        case .quotaExceeded(let seconds):
            return Problem(
                429, error.message, extensions: ["retryAfterSeconds": .int(Int64(seconds))],
                headers: ["Retry-After": String(max(1, seconds))])
        case .shuttingDown:
            return Problem(503, error.message, headers: ["Retry-After": "5"])
        case .storage:
            return Problem(503, error.message)
        }
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 413: return "Content Too Large"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "HTTP \(status)"
        }
    }
}
