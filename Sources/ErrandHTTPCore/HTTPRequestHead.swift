/// A parsed request line and header section, with the framing the parser derived from it.
package struct HTTPRequestHead: Sendable {
    /// How the body that follows the head is delimited.
    package enum Framing: Sendable, Equatable {
        /// No body.
        case none
        /// `Content-Length` bytes.
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
    }

    package var method: String
    package var target: String
    /// `HTTP/1.0` or `HTTP/1.1`.
    package var version: String
    package var headers: HTTPHeaders
    package var framing: Framing
    /// Whether the client asked to keep the connection open (HTTP/1.1 unless `Connection: close`;
    /// HTTP/1.0 only with `Connection: keep-alive`).
    package var keepAlive: Bool
    /// `Expect: 100-continue` on a request with a body (ignored for HTTP/1.0).
    package var expectsContinue: Bool

    package var isHEAD: Bool { method == "HEAD" }
    package var isHTTP10: Bool { version == "HTTP/1.0" }
}
