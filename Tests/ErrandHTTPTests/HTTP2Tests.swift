import ErrandHTTP
import Testing

/// HTTP/2 with prior knowledge against a live server: requests reach the same responder as HTTP/1.1.
struct HTTP2Tests {
    /// A started client: preface and SETTINGS sent.
    static func connect(_ port: Int, settings: [(UInt16, UInt32)] = []) throws -> HTTP2FrameClient {
        let client = try HTTP2FrameClient(port: port)
        try client.start(settings: settings)
        return client
    }

    @Test func getIsAnsweredWithLengthDateAndServer() async throws {
        try await withServer { _, port in
            let client = try Self.connect(port)
            try client.request(stream: 1, path: "/hello")
            try client.read { $0.response(1).ended }
            let response = client.response(1)
            #expect(response.status == 200)
            #expect(response.text == "hello")
            #expect(response.header("content-length") == "5")
            #expect(response.header("content-type") == "text/plain; charset=utf-8")
            #expect(response.header("server") == "errand")
            #expect(response.header("date") != nil)
            #expect(client.serverSettings[0x3] == 256)  // MAX_CONCURRENT_STREAMS
            #expect(client.serverSettings[0x4] == 65_535)  // INITIAL_WINDOW_SIZE: the first window of every stream
            #expect(client.serverSettings[0x6] == 32_768)  // MAX_HEADER_LIST_SIZE
        }
    }

    @Test func requestFieldsMapOntoHTTPRequest() async throws {
        let responder = HTTPResponderClosure { request in
            let host = request.headers["Host"] ?? "-"
            let cookie = request.headers["Cookie"] ?? "-"
            let line = "\(request.method) \(request.target) \(request.version) host=\(host) cookie=\(cookie)"
            return .immediate(.text(200, line))
        }
        try await withServer(responder: responder) { _, port in
            let client = try Self.connect(port)
            try client.request(
                stream: 1, method: "PUT", path: "/x?y=1", headers: [("cookie", "a=1"), ("cookie", "b=2")], body: [1])
            try client.read { $0.response(1).ended }
            #expect(client.response(1).text == "PUT /x?y=1 HTTP/2 host=test.local cookie=a=1; b=2")
        }
    }

    @Test func postBodyLargerThanOneFrameIsEchoed() async throws {
        try await withServer { _, port in
            let client = try Self.connect(port)
            let body = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
            try client.request(stream: 1, method: "POST", path: "/echo", body: body)
            try client.read { $0.response(1).ended }
            #expect(client.response(1).status == 200)
            #expect(client.response(1).body == body)
            #expect(client.response(1).header("content-length") == "100000")
        }
    }

    @Test func deferredAndImmediateRepliesInterleaveOnOneConnection() async throws {
        try await withServer { _, port in
            let client = try Self.connect(port)
            try client.request(stream: 1, path: "/slow?200")
            try client.request(stream: 3, path: "/hello")
            try client.read { $0.response(3).ended }
            #expect(!client.response(1).ended)  // the slow one does not hold up the fast one
            try client.read { $0.response(1).ended }
            #expect(client.response(1).text == "slow")
            #expect(client.response(3).text == "hello")
        }
    }

    @Test func headGetsTheLengthButNoBody() async throws {
        try await withServer { _, port in
            let client = try Self.connect(port)
            try client.request(stream: 1, method: "HEAD", path: "/hello")
            try client.read { $0.response(1).ended }
            #expect(client.response(1).status == 200)
            #expect(client.response(1).header("content-length") == "5")
            #expect(client.response(1).body.isEmpty)
        }
    }

    @Test func connectionHeadersFromTheResponderAreDropped() async throws {
        try await withServer { _, port in
            let client = try Self.connect(port)
            try client.request(stream: 1, path: "/close")  // the responder sets Connection: close
            try client.read { $0.response(1).ended }
            #expect(client.response(1).text == "bye")
            #expect(client.response(1).header("connection") == nil)
            try client.request(stream: 3, path: "/hello")  // and the connection stays open
            try client.read { $0.response(3).ended }
            #expect(client.response(3).text == "hello")
        }
    }

    @Test func bodyOverTheLimitIsAnswered413AndTheStreamReset() async throws {
        try await withServer(configure: { $0.maxBodyBytes = 1000 }) { _, port in
            let client = try Self.connect(port)
            try client.request(stream: 1, method: "POST", path: "/echo", body: [UInt8](repeating: 1, count: 5000))
            try client.read { $0.response(1).ended }
            #expect(client.response(1).status == 413)
            // A declared length over the limit is refused before any data.
            try client.send(
                HTTP2FrameClient.requestFrame(
                    stream: 3, method: "POST", path: "/echo", headers: [("content-length", "5000")], endStream: false))
            try client.read { $0.response(3).ended }
            #expect(client.response(3).status == 413)
            try client.read { $0.response(3).resetCode != nil }
            #expect(client.response(3).resetCode == 0)  // NO_ERROR: stop sending, nothing went wrong
            try client.request(stream: 5, path: "/hello")
            try client.read { $0.response(5).ended }
            #expect(client.response(5).status == 200)
        }
    }

    @Test func headerListOverTheLimitIsAnswered431() async throws {
        try await withServer(configure: { $0.http2MaxHeaderListSize = 1024 }) { _, port in
            let client = try Self.connect(port)
            try client.request(stream: 1, path: "/hello", headers: [("x-big", String(repeating: "a", count: 2000))])
            try client.read { $0.response(1).ended }
            #expect(client.response(1).status == 431)
            try client.request(stream: 3, path: "/hello")
            try client.read { $0.response(3).ended }
            #expect(client.response(3).status == 200)
        }
    }

    @Test func malformedRequestResetsOnlyThatStream() async throws {
        try await withServer { _, port in
            let client = try Self.connect(port)
            // No :path: a malformed request (RFC 9113 §8.3.1), refused by nghttp2 with PROTOCOL_ERROR.
            let block = HTTP2FrameClient.headerBlock([(":method", "GET"), (":scheme", "http")])
            try client.send(
                HTTP2Frame(.headers, flags: HTTP2Frame.endHeaders | HTTP2Frame.endStream, stream: 1, payload: block))
            try client.read { $0.response(1).resetCode != nil }
            #expect(client.response(1).resetCode == 0x1)
            try client.request(stream: 3, path: "/hello")
            try client.read { $0.response(3).ended }
            #expect(client.response(3).status == 200)
        }
    }

    @Test func idleConnectionIsClosedWithGoaway() async throws {
        try await withServer(configure: { $0.idleTimeout = .milliseconds(200) }) { _, port in
            let client = try Self.connect(port)
            try client.request(stream: 1, path: "/hello")
            try client.read { $0.response(1).ended }
            #expect(try client.readUntilClosed())
            #expect(client.goaways.last?.code == 0)
            #expect(client.goaways.last?.lastStream == 1)
        }
    }

    @Test func prefaceIsRefusedWhenHTTP2IsDisabled() async throws {
        try await withServer(configure: { $0.http2Enabled = false }) { _, port in
            let client = try TestClient(port: port)
            try client.send(HTTP2FrameClient.preface)
            #expect(try client.readResponse().status == 505)
        }
    }

    @Test func garbageAfterThePrefaceGetsGoawayProtocolError() async throws {
        try await withServer { _, port in
            let client = try HTTP2FrameClient(port: port)
            try client.send(HTTP2FrameClient.preface + [0, 0, 4, 0xFF, 0, 0, 0, 0, 0])  // unknown type is fine...
            try client.send(HTTP2Frame(.data, stream: 0, payload: [1]))  // ...DATA on stream 0 is not
            #expect(try client.readUntilClosed())
            #expect(client.goaways.last?.code == 0x1)
        }
    }
}
