import Dispatch
import ErrandHTTP
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct TestClientError: Error, CustomStringConvertible {
    var description: String
}

/// A parsed response as the test client read it.
struct TestResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking HTTP/1.1 client on plain sockets, with a receive timeout so no test can hang.
///
/// Blocking calls must not run on Swift's cooperative thread pool (it has one thread per core, and the
/// server's deferred responses need them): use it inside ``blocking(_:)``. Used by one thread at a time.
final class TestClient: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to `host` (an IPv4 or IPv6 literal) on `port`.
    init(port: Int, host: String = "127.0.0.1", receiveBufferSize: Int32? = nil, timeoutSeconds: Int = 5) throws {
        let isIPv6 = host.contains(":")
        fd = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError(description: "socket: \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBufferSize {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let status: Int32
        if isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &address.sin6_addr)
            status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &address.sin_addr)
            status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard status == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TestClientError(description: "connect to \(host):\(port): errno \(code)")
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let result = bytes[sent...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard result > 0 else { throw TestClientError(description: "send: errno \(errno)") }
            sent += result
        }
    }

    /// Reads more bytes into the buffer; false at end of stream or on reset.
    @discardableResult
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            buffer.append(contentsOf: chunk[..<count])
            return true
        }
        if count == 0 || errno == ECONNRESET { return false }
        throw TestClientError(description: "recv: errno \(errno) (timed out?)")
    }

    private func readLine() throws -> String {
        while true {
            if let lf = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<lf])
                buffer.removeSubrange(...lf)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard try fill() else { throw TestClientError(description: "connection closed mid-line") }
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw TestClientError(description: "connection closed mid-body") }
        }
        let bytes = Array(buffer[..<count])
        buffer.removeSubrange(..<count)
        return bytes
    }

    /// Reads a status line and headers.
    func readHead() throws -> TestResponse {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else {
            throw TestClientError(description: "bad status line \(statusLine.debugDescription)")
        }
        var headers: [(name: String, value: String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw TestClientError(description: "bad header \(line)") }
            headers.append(
                (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " })))
        }
        return TestResponse(status: status, headers: headers, body: [])
    }

    /// Reads one whole response. `head: true` for a response to HEAD (no body whatever the length says).
    func readResponse(head isHEAD: Bool = false) throws -> TestResponse {
        var response = try readHead()
        if isHEAD || response.status == 100 || response.status == 204 || response.status == 304 { return response }
        if let length = response.header("Content-Length") {
            response.body = try readExactly(Int(length)!)
        } else if response.header("Transfer-Encoding") == "chunked" {
            while let chunk = try readChunk() { response.body += chunk }
        } else {
            response.body = try readUntilClosed()
        }
        return response
    }

    /// Reads one chunk of a chunked body; `nil` for the last chunk (trailers are skipped).
    func readChunk() throws -> [UInt8]? {
        let sizeLine = try readLine()
        guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
            throw TestClientError(description: "bad chunk size \(sizeLine.debugDescription)")
        }
        if size == 0 {
            while try !readLine().isEmpty {}
            return nil
        }
        let data = try readExactly(size)
        guard try readLine().isEmpty else { throw TestClientError(description: "chunk without CRLF") }
        return data
    }

    /// Everything until the server closes.
    func readUntilClosed() throws -> [UInt8] {
        while try fill() {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// True if the server has closed (or reset) the connection and sent nothing more.
    func isClosedByPeer() throws -> Bool {
        buffer.isEmpty ? !(try fill()) : false
    }

    /// Bytes already buffered but not consumed by a read call.
    var unreadBytes: Int { buffer.count }
}

/// Runs blocking work on a thread of its own, off the cooperative pool, and awaits its result.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue(label: "errand.http.test.blocking").async {
            continuation.resume(with: Result { try work() })
        }
    }
}

/// A started server on 127.0.0.1 and an ephemeral port.
func startServer(
    configure: (inout HTTPServerConfiguration) -> Void = { _ in }, responder: any HTTPResponder = TestResponder()
) throws -> (HTTPServer, Int) {
    var configuration = HTTPServerConfiguration()
    configuration.host = "127.0.0.1"
    configuration.port = 0
    configure(&configuration)
    var logger = Logger(label: "errand.http.test")
    logger.logLevel = .critical
    let server = HTTPServer(configuration: configuration, responder: responder, logger: logger)
    return (server, try server.start())
}

/// Runs the blocking `body` against a live server (see ``startServer(configure:responder:)``) and shuts the
/// server down afterwards.
func withServer(
    configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    responder: any HTTPResponder = TestResponder(),
    _ body: @escaping @Sendable (HTTPServer, Int) throws -> Void
) async throws {
    let (server, port) = try startServer(configure: configure, responder: responder)
    do {
        try await blocking { try body(server, port) }
    } catch {
        await server.shutdown(gracePeriod: .milliseconds(100))
        throw error
    }
    await server.shutdown(gracePeriod: .milliseconds(100))
}

/// Routes used by the live tests.
///
/// - `/hello`: immediate `hello`
/// - `/echo`: immediate, echoes the body
/// - `/slow?<ms>`: deferred, answers `slow` after the given milliseconds (``slowStarted`` counts those begun)
/// - `/close`: immediate, with `Connection: close`
/// - `/stream`: the event stream `streams` hands out, if any
struct TestResponder: HTTPResponder {
    var stream: (@Sendable (HTTPRequest) -> HTTPResponse)?
    /// How many `/slow` replies have begun: a test waits for its request to be in flight before it acts.
    let slowStarted = Counter()

    final class Counter: Sendable {
        private let count = Mutex(0)
        var value: Int { count.withLock { $0 } }
        func increment() { count.withLock { $0 += 1 } }
    }

    func reply(to request: HTTPRequest) -> HTTPReply {
        switch request.path {
        case "/hello":
            return .immediate(.text(200, "hello"))
        case "/echo":
            return .immediate(HTTPResponse(status: 200, contentType: "application/octet-stream", body: request.body))
        case "/slow":
            let milliseconds = Int(request.query ?? "") ?? 100
            let started = slowStarted
            return .deferred {
                started.increment()
                try? await Task.sleep(for: .milliseconds(milliseconds))
                return .text(200, "slow")
            }
        case "/close":
            return .immediate(.text(200, "bye", headers: ["Connection": "close"]))
        case "/stream":
            if let stream { return .immediate(stream(request)) }
            return .immediate(.text(404, "no stream"))
        default:
            return .immediate(.text(404, "not found"))
        }
    }
}

/// Polls `condition` every 5 ms until it holds or `timeout` passes; returns whether it held. Blocking.
func eventually(timeout: Duration = .seconds(3), _ condition: () -> Bool) -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        sleep(milliseconds: 5)
    }
    return condition()
}

/// Blocks the calling thread (never call on the cooperative pool).
func sleep(milliseconds: Int) {
    usleep(useconds_t(milliseconds * 1000))
}
