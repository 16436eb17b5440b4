/// Why a request could not be parsed, as the status and text the client receives.
///
/// Every parse error ends the connection: the response carries `Connection: close`, because after a
/// framing error the server can no longer tell where the next request would start.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status to answer with (400, 408, 413, 414, 417, 431, 501 or 505).
    public var status: Int
    /// A short explanation for the client, e.g. `Content-Length and Transfer-Encoding together`.
    public var reason: String

    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status) \(reason)" }

    /// The `text/plain` response the server sends for this error.
    public var response: HTTPResponse {
        HTTPResponse.text(status, reason + "\n", headers: ["Connection": "close"])
    }

    package static func badRequest(_ reason: String) -> HTTPParseError { HTTPParseError(status: 400, reason: reason) }
    package static let requestLineTooLong = HTTPParseError(status: 414, reason: "request line too long")
    package static let headerFieldTooLong = HTTPParseError(status: 431, reason: "header field too long")
    package static let tooManyHeaders = HTTPParseError(status: 431, reason: "too many header fields")
    package static let headerTooLarge = HTTPParseError(status: 431, reason: "request header too large")
    package static let bodyTooLarge = HTTPParseError(status: 413, reason: "request body too large")
    package static let headerTimeout = HTTPParseError(status: 408, reason: "request header not received in time")
    package static let bodyTimeout = HTTPParseError(status: 408, reason: "request body not received in time")
    package static let unsupportedVersion = HTTPParseError(status: 505, reason: "HTTP version not supported")
    package static let unsupportedExpectation = HTTPParseError(status: 417, reason: "unsupported expectation")
    package static func unsupportedCoding(_ coding: String) -> HTTPParseError {
        HTTPParseError(status: 501, reason: "unsupported transfer coding \(coding)")
    }
}
