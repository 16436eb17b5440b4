/// What the application gives the server for each request.
///
/// A responder that can answer without suspending (health checks, static files, fast errors) returns
/// ``HTTPReply/immediate(_:)`` and the server writes it on the connection's queue with no task hop;
/// anything else returns ``HTTPReply/deferred(_:)``.
public protocol HTTPResponder: Sendable {
    func reply(to request: HTTPRequest) -> HTTPReply
}

/// A response now, or a response later.
public enum HTTPReply: Sendable {
    case immediate(HTTPResponse)
    case deferred(@Sendable () async -> HTTPResponse)
}

/// Adapts a closure to ``HTTPResponder``.
public struct HTTPResponderClosure: HTTPResponder {
    let body: @Sendable (HTTPRequest) -> HTTPReply
    public init(_ body: @escaping @Sendable (HTTPRequest) -> HTTPReply) { self.body = body }
    public func reply(to request: HTTPRequest) -> HTTPReply { body(request) }
}
