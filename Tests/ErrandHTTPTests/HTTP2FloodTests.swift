import ErrandHTTP
import Testing

/// The known HTTP/2 floods, each against a live server: the connection is cut off (or its cost bounded)
/// and the server stays up.
struct HTTP2FloodTests {
    static let enhanceYourCalm: UInt32 = 0xB
    static let refusedStream: UInt32 = 0x7

    /// CVE-2023-44487: open a stream and reset it at once, again and again.
    @Test func rapidResetGetsGoawayEnhanceYourCalm() async throws {
        try await withServer(configure: { $0.http2MaxClientResets = 50 }) { server, port in
            let client = try HTTP2Tests.connect(port)
            var burst: [UInt8] = []
            for index in 0..<200 {
                let id = Int32(1 + 2 * index)
                burst += HTTP2FrameClient.requestFrame(stream: id, path: "/slow?1000").bytes
                burst += HTTP2Frame(.rstStream, stream: id, payload: bigEndian(0x8)).bytes
            }
            try? client.send(burst)
            #expect(try client.readUntilClosed())
            #expect(client.goaways.last?.code == Self.enhanceYourCalm)
            #expect((client.goaways.last?.lastStream ?? 0) < 2 * 60)
            client.disconnect()
            #expect(eventually { server.connectionCount == 0 })
            try Self.expectServerStillAnswers(port)
        }
    }

    @Test func resetsWithinTheBudgetAreFine() async throws {
        try await withServer(configure: { $0.http2MaxClientResets = 50 }) { _, port in
            let client = try HTTP2Tests.connect(port)
            for index in 0..<40 {
                let id = Int32(1 + 2 * index)
                try client.request(stream: id, path: "/slow?1000")
                try client.reset(stream: id)
            }
            try client.request(stream: 81, path: "/hello")
            try client.read { $0.response(81).ended }
            #expect(client.goaways.isEmpty)
        }
    }

    /// PINGs sent as fast as possible while nothing is read: the ACKs may not pile up without bound.
    @Test func pingFloodIsCutOff() async throws {
        try await withServer { server, port in
            let client = try HTTP2Tests.connect(port)
            let ping = HTTP2Frame(.ping, payload: [1, 2, 3, 4, 5, 6, 7, 8]).bytes
            let burst = Array([[UInt8]](repeating: ping, count: 10_000).joined())
            var sent = 0
            for _ in 0..<50 {  // up to 500,000 PINGs; the send times out once the server stops reading
                guard (try? client.send(burst)) != nil else { break }
                sent += 10_000
            }
            #expect(try client.readUntilClosed())
            let acks = client.frames.filter { $0.kind == .ping }.count
            #expect(acks < sent)
            client.disconnect()
            #expect(eventually { server.connectionCount == 0 })
            try Self.expectServerStillAnswers(port)
        }
    }

    @Test func settingsFloodIsCutOff() async throws {
        try await withServer { server, port in
            let client = try HTTP2Tests.connect(port)
            let settings = HTTP2Frame(.settings, payload: [0, 0x3, 0, 0, 0, 100]).bytes
            let burst = Array([[UInt8]](repeating: settings, count: 10_000).joined())
            for _ in 0..<30 {
                guard (try? client.send(burst)) != nil else { break }
            }
            #expect(try client.readUntilClosed())
            client.disconnect()
            #expect(eventually { server.connectionCount == 0 })
            try Self.expectServerStillAnswers(port)
        }
    }

    @Test func tooManySettingsEntriesInOneFrameCloseTheConnection() async throws {
        try await withServer { _, port in
            let client = try HTTP2Tests.connect(port)
            let entries = Array([[UInt8]](repeating: [0, 0x3, 0, 0, 0, 100], count: 40).joined())
            try client.send(HTTP2Frame(.settings, payload: entries))
            #expect(try client.readUntilClosed())
        }
    }

    /// A HEADERS frame followed by CONTINUATION frames that never end the block.
    @Test func continuationFloodIsCutOff() async throws {
        try await withServer { server, port in
            let client = try HTTP2Tests.connect(port)
            let start = HTTP2FrameClient.headerBlock([(":method", "GET"), (":scheme", "http"), (":path", "/hello")])
            try client.send(HTTP2Frame(.headers, stream: 1, payload: start))
            let fragment = HTTP2FrameClient.headerBlock([("x-flood", String(repeating: "a", count: 100))])
            // 1,000 frames (the limit is 8), never END_HEADERS.
            let frame = HTTP2Frame(.continuation, stream: 1, payload: fragment).bytes
            try? client.send(Array([[UInt8]](repeating: frame, count: 1000).joined()))
            #expect(try client.readUntilClosed())
            #expect(client.goaways.last?.code == Self.enhanceYourCalm)
            #expect(client.response(1).status == nil)
            client.disconnect()
            #expect(eventually { server.connectionCount == 0 })
            try Self.expectServerStillAnswers(port)
        }
    }

    /// Streams past SETTINGS_MAX_CONCURRENT_STREAMS opened before the client acknowledged the setting.
    @Test func streamsPastTheLimitAreRefused() async throws {
        try await withServer(configure: { $0.http2MaxConcurrentStreams = 4 }) { _, port in
            let client = try HTTP2FrameClient(port: port)
            client.acknowledgesSettings = false
            try client.start()
            for index in 0..<6 { try client.request(stream: Int32(1 + 2 * index), path: "/slow?300") }
            try client.read { $0.response(9).resetCode != nil && $0.response(11).resetCode != nil }
            #expect(client.response(9).resetCode == Self.refusedStream)
            #expect(client.response(11).resetCode == Self.refusedStream)
            try client.read { client in [1, 3, 5, 7].allSatisfy { client.response($0).ended } }
            #expect([1, 3, 5, 7].allSatisfy { client.response($0).text == "slow" })
            #expect(client.serverSettings[0x3] == 4)
            // Once they finished, new streams are taken again.
            try client.request(stream: 13, path: "/hello")
            try client.read { $0.response(13).ended }
            #expect(client.response(13).status == 200)
        }
    }

    /// A client that acknowledged the limit and still exceeds it breaks the protocol: nghttp2 ends the
    /// connection.
    @Test func streamsPastAnAcknowledgedLimitCloseTheConnection() async throws {
        try await withServer(configure: { $0.http2MaxConcurrentStreams = 2 }) { _, port in
            let client = try HTTP2Tests.connect(port)
            try client.request(stream: 1, path: "/hello")
            try client.read { $0.response(1).ended }  // our ACK of the server SETTINGS has been read by now
            for index in 1..<4 { try client.request(stream: Int32(1 + 2 * index), path: "/slow?300") }
            #expect(try client.readUntilClosed())
            #expect(client.goaways.last != nil)
        }
    }

    static func expectServerStillAnswers(_ port: Int) throws {
        let client = try HTTP2Tests.connect(port)
        try client.request(stream: 1, path: "/hello")
        try client.read { $0.response(1).ended }
        #expect(client.response(1).text == "hello")
    }
}
