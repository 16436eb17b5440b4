/// A complete HTTP request as the server hands it to a ``HTTPResponder``: head and whole body.
public struct HTTPRequest: Sendable {
    /// The method token as sent (`GET`, `POST`, ...), case-sensitive per RFC 9110.
    public var method: String
    /// The request target as sent, e.g. `/api/tasks?status=working`.
    public var target: String
    /// `HTTP/1.1`, `HTTP/1.0` or `HTTP/2`.
    public var version: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The peer's address, `host:port`, for logs.
    public var remoteAddress: String

    public init(
        method: String, target: String, version: String = "HTTP/1.1", headers: HTTPHeaders = [:],
        body: [UInt8] = [], remoteAddress: String = "-"
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// The path part of the target, without the query.
    public var path: Substring {
        if let mark = target.firstIndex(of: "?") { return target[..<mark] }
        return target[...]
    }

    /// The raw query string after `?`, or `nil`.
    public var query: Substring? {
        guard let mark = target.firstIndex(of: "?") else { return nil }
        return target[target.index(after: mark)...]
    }
}
