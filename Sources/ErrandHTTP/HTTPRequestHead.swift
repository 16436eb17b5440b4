/// A parsed request line and header section, with the framing the parser derived from it.
struct HTTPRequestHead: Sendable {
    /// How the body that follows the head is delimited.
    enum Framing: Sendable, Equatable {
        /// No body.
        case none
        /// `Content-Length` bytes.
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
    }

    var method: String
    var target: String
    /// `HTTP/1.0` or `HTTP/1.1`.
    var version: String
    var headers: HTTPHeaders
    var framing: Framing
    /// Whether the client asked to keep the connection open (HTTP/1.1 unless `Connection: close`;
    /// HTTP/1.0 only with `Connection: keep-alive`).
    var keepAlive: Bool
    /// `Expect: 100-continue` on a request with a body (ignored for HTTP/1.0).
    var expectsContinue: Bool

    var isHEAD: Bool { method == "HEAD" }
    var isHTTP10: Bool { version == "HTTP/1.0" }
}
