import ErrandHTTP
import Testing

/// One HTTP/2 connection's request body budget (`http2MaxConnectionBodyBytes`), kept by flow control:
/// held bytes are not acknowledged, so a client cannot make the server buffer more than the budget.
struct HTTP2BodyBudgetTests {
    static let maxBody = 64 * 1024
    /// Four streams: the budget is raised to 4 × 65,535 + 2 × 64 KiB, what every stream may send before it
    /// is admitted plus two whole bodies.
    static let budget = 4 * 65_535 + 2 * maxBody

    static func configure(_ configuration: inout HTTPServerConfiguration) {
        configuration.maxBodyBytes = maxBody
        configuration.http2MaxConcurrentStreams = 4
        configuration.http2MaxConnectionBodyBytes = 1
    }

    /// The connection-level (stream 0) WINDOW_UPDATE increments the server has sent so far.
    static func connectionUpdates(_ client: HTTP2FrameClient) -> [Int] {
        client.frames.filter { $0.kind == .windowUpdate && $0.stream == 0 }.map {
            Int(readUInt32($0.payload, at: 0) & 0x7FFF_FFFF)
        }
    }

    /// The HEADERS of a POST to `/echo` that leaves the stream open, then `count` body bytes in DATA
    /// frames of at most 15,000 bytes; `end` closes the client's side with the last one.
    static func post(stream: Int32, count: Int, end: Bool = false) -> [UInt8] {
        var out = HTTP2FrameClient.requestFrame(stream: stream, method: "POST", path: "/echo", endStream: false).bytes
        out += data(stream: stream, count: count, end: end)
        return out
    }

    static func data(stream: Int32, count: Int, end: Bool) -> [UInt8] {
        var out: [UInt8] = []
        var left = count
        repeat {
            let chunk = min(left, 15_000)
            left -= chunk
            let flags = end && left == 0 ? HTTP2Frame.endStream : 0
            out +=
                HTTP2Frame(
                    .data, flags: flags, stream: stream, payload: [UInt8](repeating: UInt8(stream), count: chunk)
                ).bytes
        } while left > 0
        return out
    }

    /// Sends a PING and reads until its ACK: everything sent before it has been processed.
    static func roundTrip(_ client: HTTP2FrameClient) throws {
        let opaque: [UInt8] = [9, 8, 7, 6, 5, 4, 3, 2]
        try client.send(HTTP2Frame(.ping, payload: opaque))
        try client.read { client in
            client.frames.contains { $0.kind == .ping && $0.flags & HTTP2Frame.ack != 0 && $0.payload == opaque }
        }
    }

    @Test func effectiveBudgetHoldsEveryFirstWindowAndTwoWholeBodies() {
        var configuration = HTTPServerConfiguration()
        #expect(configuration.effectiveHTTP2ConnectionBodyBytes == 24 * 1024 * 1024)
        configuration.http2MaxConnectionBodyBytes = 1
        #expect(configuration.effectiveHTTP2ConnectionBodyBytes == 256 * 65_535 + 2 * 4 * 1024 * 1024)
        Self.configure(&configuration)
        #expect(configuration.effectiveHTTP2ConnectionBodyBytes == Self.budget)
        configuration.http2MaxConnectionBodyBytes = Int.max
        #expect(configuration.effectiveHTTP2ConnectionBodyBytes == Int(Int32.max))
    }

    /// The connection's window is twice the budget; bodies still arriving or being answered are not given
    /// back, answered ones are, and the client hears of it once half the window was given back.
    @Test func bodiesAreGivenBackOnceAnswered() async throws {
        try await withServer(configure: Self.configure) { _, port in
            let client = try HTTP2Tests.connect(port)
            try client.read { !Self.connectionUpdates($0).isEmpty }
            #expect(Self.connectionUpdates(client) == [2 * Self.budget - 65_535])

            var burst: [UInt8] = []
            for stream in [1, 3, 5, 7] as [Int32] { burst += Self.post(stream: stream, count: 50_000) }
            try client.send(burst)
            try Self.roundTrip(client)
            #expect(Self.connectionUpdates(client).count == 1)

            burst = []
            for stream in [1, 3, 5, 7] as [Int32] { burst += Self.data(stream: stream, count: 1_000, end: true) }
            try client.send(burst)
            try client.read { client in [1, 3, 5, 7].allSatisfy { client.response($0).ended } }
            for stream in [1, 3, 5, 7] as [Int32] {
                #expect(client.response(stream).status == 200)
                #expect(client.response(stream).body.count == 51_000)
            }
            // 204,000 bytes given back so far, under half the window: then 4 × 60,000 more.
            for stream in [9, 11, 13, 15] as [Int32] {
                try client.send(Self.post(stream: stream, count: 60_000, end: true))
                try client.read { $0.response(stream).ended }
            }
            try client.read { Self.connectionUpdates($0).count > 1 }
            #expect(Self.connectionUpdates(client).dropFirst().reduce(0, +) >= Self.budget)
        }
    }

    /// The stream-level WINDOW_UPDATEs the server has sent, by stream.
    static func streamsGivenWindow(_ client: HTTP2FrameClient) -> Set<Int32> {
        Set(client.frames.filter { $0.kind == .windowUpdate && $0.stream != 0 }.map(\.stream))
    }

    /// Every stream may send its first 65,535 bytes; only those whose whole body fits in the budget beside
    /// everyone's first window get more, oldest first. The others wait there (nothing more is buffered for
    /// them) until earlier requests let their bytes go.
    @Test func streamsBeyondTheBudgetWaitAtTheirFirstWindow() async throws {
        // 8 streams, bodies up to 256 KiB: the budget is 8 × 65,535 + 512 KiB; two streams are admitted at
        // first (2 × 256 KiB + 6 × 65,535 fit, 3 × 256 KiB + 5 × 65,535 do not).
        try await withServer(configure: {
            $0.maxBodyBytes = 256 * 1024
            $0.http2MaxConcurrentStreams = 8
            $0.http2MaxConnectionBodyBytes = 1
        }) { _, port in
            let client = try HTTP2Tests.connect(port)
            try client.read { $0.serverSettings[0x4] != nil }
            #expect(client.serverSettings[0x4] == 65_535)
            let ids: [Int32] = [1, 3, 5, 7, 9, 11, 13, 15]
            var burst: [UInt8] = []
            // 40,000 bytes each: within the first window, past half of it (where automatic updates would go).
            for stream in ids { burst += Self.post(stream: stream, count: 40_000) }
            try client.send(burst)
            try Self.roundTrip(client)
            #expect(Self.streamsGivenWindow(client) == [1, 3])

            // Stream 1 ends: its place goes to stream 5 (3 is still admitted), not to 7.
            try client.send(Self.data(stream: 1, count: 0, end: true))
            try client.read { $0.response(1).ended }
            try client.read { Self.streamsGivenWindow($0).contains(5) }
            try Self.roundTrip(client)
            #expect(Self.streamsGivenWindow(client) == [1, 3, 5])
            #expect(client.response(1).status == 200)
            #expect(client.response(1).body == [UInt8](repeating: 1, count: 40_000))
            #expect(ids.allSatisfy { client.response($0).resetCode == nil })
            #expect(client.goaways.isEmpty)
        }
    }

    /// The per-stream cap still answers 413, and the rejected bytes are given back: the connection goes on.
    @Test func aBodyOverTheStreamCapIs413AndFreesItsBytes() async throws {
        try await withServer(configure: Self.configure) { _, port in
            let client = try HTTP2Tests.connect(port)
            try client.send(Self.post(stream: 1, count: Self.maxBody + 10_000, end: true))
            try client.read { $0.response(1).ended || $0.response(1).resetCode != nil }
            #expect(client.response(1).status == 413)
            for index in 0..<8 {  // 480,000 bytes after the rejected ones: more than the budget
                let stream = Int32(3 + 2 * index)
                try client.send(Self.post(stream: stream, count: 60_000, end: true))
                try client.read { $0.response(stream).ended }
                #expect(client.response(stream).status == 200)
            }
            #expect(client.goaways.isEmpty)
        }
    }
}
