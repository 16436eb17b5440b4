import CNghttp2
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One HTTP/2 frame as sent or read by ``HTTP2FrameClient``.
struct HTTP2Frame {
    enum Kind: UInt8 {
        case data = 0, headers = 1, priority = 2, rstStream = 3, settings = 4, pushPromise = 5, ping = 6
        case goaway = 7, windowUpdate = 8, continuation = 9
    }
    static let endStream: UInt8 = 0x1
    static let ack: UInt8 = 0x1
    static let endHeaders: UInt8 = 0x4

    var type: UInt8
    var flags: UInt8
    var stream: Int32
    var payload: [UInt8]

    init(_ kind: Kind, flags: UInt8 = 0, stream: Int32 = 0, payload: [UInt8] = []) {
        self.init(type: kind.rawValue, flags: flags, stream: stream, payload: payload)
    }

    init(type: UInt8, flags: UInt8, stream: Int32, payload: [UInt8]) {
        self.type = type
        self.flags = flags
        self.stream = stream
        self.payload = payload
    }

    var kind: Kind? { Kind(rawValue: type) }

    var bytes: [UInt8] {
        let length = payload.count
        var out: [UInt8] = [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags]
        out += bigEndian(UInt32(stream))
        return out + payload
    }
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

func readUInt32(_ bytes: [UInt8], at index: Int) -> UInt32 {
    UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8
        | UInt32(bytes[index + 3])
}

/// What the client has seen of one stream.
struct HTTP2StreamResult {
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    var ended = false
    var resetCode: UInt32?

    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
    var status: Int? { header(":status").flatMap(Int.init) }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking HTTP/2 client that speaks raw frames, for tests that must misbehave (floods, resets, stalled
/// windows). Encodes header blocks as HPACK literals without indexing; decodes the server's blocks with
/// nghttp2's HPACK inflater. Use it inside ``blocking(_:)``, from one thread.
final class HTTP2FrameClient: @unchecked Sendable {
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    let fd: Int32
    private var buffer: [UInt8] = []
    private var inflater: OpaquePointer?
    private var headerBlock: (stream: Int32, bytes: [UInt8], endStream: Bool)?
    private(set) var streams: [Int32: HTTP2StreamResult] = [:]
    private(set) var goaways: [(lastStream: Int32, code: UInt32)] = []
    private(set) var serverSettings: [UInt16: UInt32] = [:]
    private(set) var closed = false
    /// Frames read, in order.
    private(set) var frames: [HTTP2Frame] = []
    /// Streams whose DATA is never acknowledged with a stream WINDOW_UPDATE.
    var stalledStreams: Set<Int32> = []
    /// Acknowledge server SETTINGS as they arrive.
    var acknowledgesSettings = true

    init(port: Int, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError(description: "socket: \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            Glibc.close(fd)
            throw TestClientError(description: "connect: errno \(errno)")
        }
        nghttp2_hd_inflate_new(&inflater)
    }

    deinit {
        Glibc.close(fd)
        nghttp2_hd_inflate_del(inflater)
    }

    /// Shuts the socket down both ways (the descriptor is closed on deinit).
    func disconnect() {
        shutdown(fd, Int32(SHUT_RDWR))
    }

    // MARK: sending

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

    func send(_ frame: HTTP2Frame) throws { try send(frame.bytes) }

    /// The client preface and a SETTINGS frame; `connectionWindow` opens stream 0's window that far.
    func start(settings: [(UInt16, UInt32)] = [], connectionWindow: UInt32 = 16 * 1024 * 1024) throws {
        var payload: [UInt8] = []
        for (id, value) in settings { payload += [UInt8(id >> 8), UInt8(id & 0xFF)] + bigEndian(value) }
        var out = Self.preface + HTTP2Frame(.settings, payload: payload).bytes
        if connectionWindow > 65_535 {
            out += HTTP2Frame(.windowUpdate, payload: bigEndian(connectionWindow - 65_535)).bytes
        }
        try send(out)
    }

    static func headerBlock(_ fields: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, value) in fields {
            out.append(0x00)  // literal without indexing, new name, no Huffman
            out += integer(name.utf8.count, prefixBits: 7) + Array(name.utf8)
            out += integer(value.utf8.count, prefixBits: 7) + Array(value.utf8)
        }
        return out
    }

    /// An HPACK integer with an `prefixBits`-bit prefix (RFC 7541 §5.1), flag bits zero.
    static func integer(_ value: Int, prefixBits: Int) -> [UInt8] {
        let limit = (1 << prefixBits) - 1
        guard value >= limit else { return [UInt8(value)] }
        var out: [UInt8] = [UInt8(limit)]
        var rest = value - limit
        while rest >= 128 {
            out.append(UInt8(rest % 128 + 128))
            rest /= 128
        }
        out.append(UInt8(rest))
        return out
    }

    /// The HEADERS frame of a request; `endStream` when no body follows.
    static func requestFrame(
        stream: Int32, method: String = "GET", path: String, headers: [(String, String)] = [], endStream: Bool = true
    ) -> HTTP2Frame {
        let fields =
            [(":method", method), (":scheme", "http"), (":path", path), (":authority", "test.local")] + headers
        return HTTP2Frame(
            .headers, flags: HTTP2Frame.endHeaders | (endStream ? HTTP2Frame.endStream : 0), stream: stream,
            payload: headerBlock(fields))
    }

    func request(
        stream: Int32, method: String = "GET", path: String, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) throws {
        var out = Self.requestFrame(
            stream: stream, method: method, path: path, headers: headers, endStream: body == nil
        )
        .bytes
        if let body {
            var offset = 0
            repeat {
                let end = min(offset + 16_384, body.count)
                let last = end == body.count
                out +=
                    HTTP2Frame(
                        .data, flags: last ? HTTP2Frame.endStream : 0, stream: stream,
                        payload: Array(body[offset..<end])
                    ).bytes
                offset = end
            } while offset < body.count
        }
        try send(out)
    }

    func reset(stream: Int32, code: UInt32 = 0x8) throws {
        try send(HTTP2Frame(.rstStream, stream: stream, payload: bigEndian(code)))
    }

    // MARK: reading

    /// Reads and handles one frame; `nil` once the server has closed.
    @discardableResult
    func readFrame() throws -> HTTP2Frame? {
        while buffer.count < 9 || buffer.count < 9 + Self.length(buffer) {
            guard try fill() else {
                closed = true
                return nil
            }
        }
        let length = Self.length(buffer)
        let frame = HTTP2Frame(
            type: buffer[3], flags: buffer[4], stream: Int32(bitPattern: readUInt32(buffer, at: 5) & 0x7FFF_FFFF),
            payload: Array(buffer[9..<(9 + length)]))
        buffer.removeSubrange(..<(9 + length))
        frames.append(frame)
        try handle(frame)
        return frame
    }

    /// Reads frames until `condition` holds; throws if the server closes first or a read times out.
    func read(until condition: (HTTP2FrameClient) -> Bool) throws {
        while !condition(self) {
            guard try readFrame() != nil else { throw TestClientError(description: "server closed the connection") }
        }
    }

    /// Reads until the server closes; returns `false` if a read timed out first.
    func readUntilClosed() throws -> Bool {
        do {
            while try readFrame() != nil {}
            return true
        } catch let error as TestClientError where error.description.contains("timed out") {
            return false
        }
    }

    func response(_ stream: Int32) -> HTTP2StreamResult { streams[stream] ?? HTTP2StreamResult() }

    private static func length(_ bytes: [UInt8]) -> Int {
        Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            buffer += chunk[..<count]
            return true
        }
        if count == 0 || errno == ECONNRESET { return false }
        throw TestClientError(description: "recv: errno \(errno) (timed out?)")
    }

    private func handle(_ frame: HTTP2Frame) throws {
        switch frame.kind {
        case .headers:
            var block = frame.payload
            var padding = 0
            if frame.flags & 0x8 != 0 {
                padding = Int(block[0])
                block.removeFirst()
            }
            if frame.flags & 0x20 != 0 { block.removeFirst(5) }
            block.removeLast(padding)
            headerBlock = (frame.stream, block, frame.flags & HTTP2Frame.endStream != 0)
            if frame.flags & HTTP2Frame.endHeaders != 0 { try finishHeaderBlock() }
        case .continuation:
            headerBlock?.bytes += frame.payload
            if frame.flags & HTTP2Frame.endHeaders != 0 { try finishHeaderBlock() }
        case .data:
            var payload = frame.payload
            if frame.flags & 0x8 != 0 {
                let padding = Int(payload.removeFirst())
                payload.removeLast(padding)
            }
            streams[frame.stream, default: HTTP2StreamResult()].body += payload
            if frame.flags & HTTP2Frame.endStream != 0 {
                streams[frame.stream, default: HTTP2StreamResult()].ended = true
            }
            if !frame.payload.isEmpty {
                var update = HTTP2Frame(.windowUpdate, payload: bigEndian(UInt32(frame.payload.count))).bytes
                if !stalledStreams.contains(frame.stream), frame.flags & HTTP2Frame.endStream == 0 {
                    update +=
                        HTTP2Frame(.windowUpdate, stream: frame.stream, payload: bigEndian(UInt32(frame.payload.count)))
                        .bytes
                }
                try? send(update)  // best effort: the server may be closing
            }
        case .rstStream:
            streams[frame.stream, default: HTTP2StreamResult()].resetCode = readUInt32(frame.payload, at: 0)
        case .settings:
            guard frame.flags & HTTP2Frame.ack == 0 else { return }
            for index in stride(from: 0, to: frame.payload.count, by: 6) {
                let id = UInt16(frame.payload[index]) << 8 | UInt16(frame.payload[index + 1])
                serverSettings[id] = readUInt32(frame.payload, at: index + 2)
            }
            if acknowledgesSettings { try? send(HTTP2Frame(.settings, flags: HTTP2Frame.ack)) }
        case .goaway:
            goaways.append((Int32(bitPattern: readUInt32(frame.payload, at: 0)), readUInt32(frame.payload, at: 4)))
        case .ping:
            if frame.flags & HTTP2Frame.ack == 0 {
                try? send(HTTP2Frame(.ping, flags: HTTP2Frame.ack, payload: frame.payload))
            }
        default:
            break
        }
    }

    private func finishHeaderBlock() throws {
        guard let block = headerBlock else { return }
        headerBlock = nil
        let fields = try decode(block.bytes)
        streams[block.stream, default: HTTP2StreamResult()].headers += fields
        if block.endStream { streams[block.stream, default: HTTP2StreamResult()].ended = true }
    }

    private func decode(_ block: [UInt8]) throws -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        var input = block
        input.append(0)  // a base address even for an empty block
        try input.withUnsafeBufferPointer { bytes in
            var offset = 0
            while true {
                var field = nghttp2_nv()
                var flags: Int32 = 0
                let used = nghttp2_hd_inflate_hd2(
                    inflater, &field, &flags, bytes.baseAddress! + offset, block.count - offset, 1)
                guard used >= 0 else { throw TestClientError(description: "HPACK error \(used)") }
                offset += used
                if flags & Int32(NGHTTP2_HD_INFLATE_EMIT.rawValue) != 0 {
                    fields.append(
                        (
                            String(
                                decoding: UnsafeBufferPointer(start: field.name, count: field.namelen), as: UTF8.self),
                            String(
                                decoding: UnsafeBufferPointer(start: field.value, count: field.valuelen), as: UTF8.self)
                        ))
                }
                if flags & Int32(NGHTTP2_HD_INFLATE_FINAL.rawValue) != 0 {
                    nghttp2_hd_inflate_end_headers(inflater)
                    return
                }
                if used == 0, flags & Int32(NGHTTP2_HD_INFLATE_EMIT.rawValue) == 0 { return }
            }
        }
        return fields
    }
}

/// The client's own encoding, checked against nghttp2's decoder.
struct HTTP2FrameClientTests {
    @Test func headerBlocksDecodeWithNghttp2() throws {
        var inflater: OpaquePointer?
        nghttp2_hd_inflate_new(&inflater)
        defer { nghttp2_hd_inflate_del(inflater) }
        let long = String(repeating: "v", count: 300)
        let block = HTTP2FrameClient.headerBlock([(":path", "/a"), ("x-long", long)])
        var names: [String] = []
        var values: [String] = []
        block.withUnsafeBufferPointer { bytes in
            var offset = 0
            while offset <= bytes.count {
                var field = nghttp2_nv()
                var flags: Int32 = 0
                let used = nghttp2_hd_inflate_hd2(
                    inflater, &field, &flags, bytes.baseAddress! + offset, bytes.count - offset, 1)
                guard used >= 0 else { break }
                offset += used
                if flags & Int32(NGHTTP2_HD_INFLATE_EMIT.rawValue) != 0 {
                    names.append(
                        String(decoding: UnsafeBufferPointer(start: field.name, count: field.namelen), as: UTF8.self))
                    values.append(
                        String(decoding: UnsafeBufferPointer(start: field.value, count: field.valuelen), as: UTF8.self))
                }
                if flags & Int32(NGHTTP2_HD_INFLATE_FINAL.rawValue) != 0 { break }
            }
        }
        #expect(names == [":path", "x-long"])
        #expect(values == ["/a", long])
    }
}
