import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An HTTP response whose body is read as it arrives (a JSON answer, or an SSE stream that stays open).
struct HTTPStreamingResponse: Sendable {
    var status: Int
    /// Header values by lowercased name.
    var headers: [String: String]
    /// The body in chunks, as the network delivers them; ends when the response ends.
    var body: AsyncThrowingStream<[UInt8], any Error>
    /// Stops the exchange (closes the stream).
    var cancel: @Sendable () -> Void

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    var isEventStream: Bool { header("content-type")?.lowercased().hasPrefix("text/event-stream") ?? false }

    /// The whole body, refused once it passes `limit` bytes.
    func collect(limit: Int) async throws(MCPClientError) -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            for try await chunk in body {
                bytes.append(contentsOf: chunk)
                if bytes.count > limit {
                    cancel()
                    throw MCPClientError.limitExceeded("a response body is larger than \(limit) bytes")
                }
            }
        } catch let error as MCPClientError {
            throw error
        } catch {
            throw HTTPStreamingTransport.clientError(error)
        }
        return bytes
    }
}

/// HTTP for the client: FoundationNetworking's `URLSession` with a data delegate.
///
/// Why this and not the alternatives: on Linux `URLSession.bytes(for:)` does not exist (which is why the official
/// Swift MCP SDK cannot read SSE there), but a delegate's `urlSession(_:dataTask:didReceive:)` is called for every
/// piece of the body as libcurl delivers it — a tiny experiment against a server writing one SSE event per second
/// saw each event 1 s apart, not at the end. That keeps the client free of SwiftNIO and of a hand-written HTTP/1.1
/// stack, and gives https and proxies for free (redirects are refused: a moved MCP endpoint is a configuration
/// error worth seeing). Bounded: every request has a timeout, which on Linux is the idle time between bytes (a
/// second experiment: a stream sending for 5 s under a 2 s timeout completed), so long streams with keep-alives
/// live on; and a stream whose reader falls more than ``MCPClientConfiguration/Limits/maxBufferedBytes`` behind
/// is dropped with ``MCPClientError/limitExceeded(_:)``.
final class HTTPStreamingTransport: Sendable {
    private let session: URLSession
    private let delegate: StreamingDelegate

    init(limits: MCPClientConfiguration.Limits) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 32
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        delegate = StreamingDelegate(maxBufferedChunks: max(16, limits.maxBufferedBytes / 16_384))
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
    }

    deinit { session.invalidateAndCancel() }

    /// Sends `request` and returns once the response head arrived; the body streams afterwards.
    func send(_ request: URLRequest) async throws(MCPClientError) -> HTTPStreamingResponse {
        let task = session.dataTask(with: request)
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    delegate.register(task, head: continuation)
                    task.resume()
                }
            } onCancel: {
                task.cancel()
            }
        } catch let error as MCPClientError {
            throw error
        } catch {
            throw Self.clientError(error)
        }
    }

    /// A `URLRequest.timeoutInterval` for `duration`: whole seconds, at least 1 (FoundationNetworking drops the
    /// fraction, so 0.3 s would mean "time out at once").
    static func timeoutInterval(_ duration: Duration) -> TimeInterval {
        let components = duration.components
        return TimeInterval(max(1, components.seconds + (components.attoseconds > 0 ? 1 : 0)))
    }

    /// Maps a URLSession failure to the client's error (a task cancelled by us stays a `CancellationError`).
    static func clientError(_ error: any Error) -> MCPClientError {
        if let error = error as? MCPClientError { return error }
        if let error = error as? URLError {
            switch error.code {
            case .cancelled: return .unreachable("the request was cancelled")
            case .timedOut: return .unreachable("no answer in time (\(error.localizedDescription))")
            default: return .unreachable("\(error.localizedDescription) (URLError \(error.code.rawValue))")
            }
        }
        return .unreachable("\(error)")
    }
}

/// Routes one session's delegate callbacks to the exchange each task belongs to.
private final class StreamingDelegate: NSObject, URLSessionDataDelegate, Sendable {
    private struct Exchange {
        var head: CheckedContinuation<HTTPStreamingResponse, any Error>?
        var body: AsyncThrowingStream<[UInt8], any Error>.Continuation?
    }

    private let exchanges = Mutex<[Int: Exchange]>([:])
    private let maxBufferedChunks: Int

    init(maxBufferedChunks: Int) { self.maxBufferedChunks = maxBufferedChunks }

    func register(_ task: URLSessionDataTask, head: CheckedContinuation<HTTPStreamingResponse, any Error>) {
        exchanges.withLock { $0[task.taskIdentifier] = Exchange(head: head) }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        let http = response as? HTTPURLResponse
        var headers: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        let (body, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(maxBufferedChunks))
        continuation.onTermination = { termination in
            if case .cancelled = termination { dataTask.cancel() }
        }
        let head = exchanges.withLock { exchanges -> CheckedContinuation<HTTPStreamingResponse, any Error>? in
            let head = exchanges[dataTask.taskIdentifier]?.head
            exchanges[dataTask.taskIdentifier]?.head = nil
            exchanges[dataTask.taskIdentifier]?.body = continuation
            return head
        }
        completionHandler(.allow)
        head?.resume(
            returning: HTTPStreamingResponse(
                status: http?.statusCode ?? 0, headers: headers, body: body, cancel: { dataTask.cancel() }))
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let body = exchanges.withLock({ $0[dataTask.taskIdentifier]?.body }) else { return }
        if case .dropped = body.yield([UInt8](data)) {
            body.finish(throwing: MCPClientError.limitExceeded("the reader fell too far behind a response stream"))
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let exchange = exchanges.withLock({ $0.removeValue(forKey: task.taskIdentifier) }) else { return }
        if let head = exchange.head {
            head.resume(throwing: error ?? MCPClientError.protocolViolation("the connection closed before a response"))
        }
        if let error {
            exchange.body?.finish(throwing: HTTPStreamingTransport.clientError(error))
        } else {
            exchange.body?.finish()
        }
    }

    /// MCP answers are not redirected: a POST that moves is a configuration error worth seeing.
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
