/// An HTTP response a ``HTTPResponder`` returns: a status, headers, and a body that is either
/// complete bytes or a Server-Sent Events stream.
///
/// The server adds `Content-Length` (sized bodies), `Transfer-Encoding`/framing (streams), `Date`
/// and `Connection` itself; responders set everything else.
public struct HTTPResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// A `text/event-stream` body that stays open until the stream finishes or the client leaves.
        case eventStream(SSEStream)
    }

    public var status: Int
    public var headers: HTTPHeaders
    public var body: Body

    public init(status: Int, headers: HTTPHeaders = [:], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A sized response with a `Content-Type`.
    public init(status: Int, contentType: String, body: [UInt8], headers: HTTPHeaders = [:]) {
        var headers = headers
        headers.set("Content-Type", contentType)
        self.init(status: status, headers: headers, body: .bytes(body))
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ status: Int, _ text: String, headers: HTTPHeaders = [:]) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8), headers: headers)
    }

    /// A `200 text/event-stream` response carrying `stream`, with `Cache-Control: no-cache`.
    public static func eventStream(_ stream: SSEStream, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.set("Content-Type", "text/event-stream")
        headers.set("Cache-Control", "no-cache")
        return HTTPResponse(status: 200, headers: headers, body: .eventStream(stream))
    }
}
