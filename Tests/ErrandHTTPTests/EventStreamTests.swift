import ErrandHTTP
import Synchronization
import Testing

/// Server-Sent Events over a live connection.
struct EventStreamTests {
    /// Hands out one stream per request and remembers it.
    final class StreamBox: Sendable {
        let streams = Mutex<[SSEStream]>([])
        let limits: SSEStream.Limits

        init(limits: SSEStream.Limits = SSEStream.Limits()) { self.limits = limits }

        var responder: TestResponder {
            TestResponder { _ in
                let stream = SSEStream(limits: self.limits)
                self.streams.withLock { $0.append(stream) }
                return .eventStream(stream)
            }
        }

        /// The `index`th stream, once its request has arrived. Blocking.
        func stream(_ index: Int = 0) -> SSEStream? {
            _ = eventually { streams.withLock { $0.count > index } }
            return streams.withLock { $0.count > index ? $0[index] : nil }
        }
    }

    @Test func eventsAreFramedAndTheConnectionSurvivesTheEnd() async throws {
        let box = StreamBox()
        try await withServer(responder: box.responder) { _, port in
            let client = try TestClient(port: port)
            try client.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try client.readHead()
            #expect(head.status == 200)
            #expect(head.header("Content-Type") == "text/event-stream")
            #expect(head.header("Cache-Control") == "no-cache")
            #expect(head.header("Transfer-Encoding") == "chunked")
            #expect(head.header("Content-Length") == nil)
            let stream = try #require(box.stream())

            stream.send(SSEEvent(id: "1", event: "status", data: "working"))
            #expect(
                try client.readChunk().map { String(decoding: $0, as: UTF8.self) }
                    == "id: 1\nevent: status\ndata: working\n\n")

            stream.send(SSEEvent(data: "line one\nline two\r\nline three", retry: 2500))
            #expect(
                try client.readChunk().map { String(decoding: $0, as: UTF8.self) }
                    == "retry: 2500\ndata: line one\ndata: line two\ndata: line three\n\n")

            stream.send(SSEEvent(data: "last"))
            stream.finish()
            var rest: [UInt8] = []
            while let chunk = try client.readChunk() { rest += chunk }
            #expect(String(decoding: rest, as: UTF8.self) == "data: last\n\n")
            #expect(stream.closeReason == .finished)

            // The terminating chunk ended the body: the same connection takes another request.
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().text == "hello")
        }
    }

    @Test func keepAliveCommentsAreSentOnAnIdleStream() async throws {
        let box = StreamBox()
        try await withServer(configure: { $0.sseKeepAliveInterval = .milliseconds(100) }, responder: box.responder) {
            _, port in
            let client = try TestClient(port: port)
            try client.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
            _ = try client.readHead()
            let chunk = try client.readChunk()
            #expect(chunk.map { String(decoding: $0, as: UTF8.self) } == ": keep-alive\n\n")
            box.stream()?.finish()
        }
    }

    @Test func clientDisconnectCancelsTheStream() async throws {
        let box = StreamBox()
        let reason = Mutex<SSEStream.CloseReason?>(nil)
        try await withServer(responder: box.responder) { server, port in
            var client: TestClient? = try TestClient(port: port)
            try client?.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
            _ = try client?.readHead()
            let stream = try #require(box.stream())
            stream.onTermination { closeReason in reason.withLock { $0 = closeReason } }
            client = nil  // closes the socket
            #expect(eventually { reason.withLock { $0 } != nil })
            #expect(reason.withLock { $0 } == .cancelled)
            #expect(stream.send(SSEEvent(data: "too late")) == false)
            #expect(eventually { server.connectionCount == 0 })
        }
    }

    @Test func aClientThatDoesNotReadIsDisconnected() async throws {
        // A stream buffer that cannot overflow first: the connection's write limit is what must act.
        let box = StreamBox(limits: .init(maxBufferedEvents: 1_000_000))
        try await withServer(configure: { $0.maxPendingWriteBytes = 64 * 1024 }, responder: box.responder) {
            server, port in
            let client = try TestClient(port: port, receiveBufferSize: 4096)
            try client.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
            let stream = try #require(box.stream())
            // The client never reads. Produce until the server gives up on it: the socket buffers fill, then
            // the connection's pending bytes pass maxPendingWriteBytes and it is dropped.
            let payload = String(repeating: "x", count: 16 * 1024)
            var sent = 0
            let clock = ContinuousClock()
            let started = clock.now
            while stream.send(SSEEvent(data: payload)), clock.now - started < .seconds(10) {
                sent += 1
                if sent % 4 == 0 { sleep(milliseconds: 1) }
            }
            #expect(stream.closeReason == .cancelled)
            #expect(eventually { server.connectionCount == 0 })
            // Far more than the limit would be buffered had the server not dropped the client.
            #expect(sent * 16 * 1024 > 64 * 1024)
        }
    }

    @Test func overflowedStreamDisconnectsTheClient() async throws {
        // The stream overflows before the connection drains it: the client gets the head, then a close
        // without the terminating chunk (so it knows the stream did not end normally).
        let responder = TestResponder { _ in
            let stream = SSEStream(limits: .init(maxBufferedEvents: 2))
            for index in 0..<3 { stream.send(SSEEvent(data: "\(index)")) }
            return .eventStream(stream)
        }
        try await withServer(responder: responder) { server, port in
            let client = try TestClient(port: port)
            try client.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readHead().status == 200)
            #expect(try client.readUntilClosed().isEmpty)
            #expect(eventually { server.connectionCount == 0 })
        }
    }

    @Test func headOnAStreamSendsOnlyTheHead() async throws {
        let box = StreamBox()
        try await withServer(responder: box.responder) { _, port in
            let client = try TestClient(port: port)
            try client.send("HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try client.readHead()
            #expect(head.header("Content-Type") == "text/event-stream")
            #expect(eventually { box.stream()?.closeReason == .cancelled })
            // Any body byte (even a terminating chunk) would be read here instead of the next status line.
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().text == "hello")
        }
    }

    @Test func http10StreamIsCloseDelimited() async throws {
        let box = StreamBox()
        try await withServer(responder: box.responder) { _, port in
            let client = try TestClient(port: port)
            try client.send("GET /stream HTTP/1.0\r\n\r\n")
            let head = try client.readHead()
            #expect(head.header("Transfer-Encoding") == nil)
            #expect(head.header("Connection") == "close")
            let stream = try #require(box.stream())
            stream.send(SSEEvent(data: "one"))
            stream.finish()
            #expect(String(decoding: try client.readUntilClosed(), as: UTF8.self) == "data: one\n\n")
        }
    }
}

/// The stream's own slow-reader policy, without a connection.
struct SSEStreamTests {
    @Test func overflowClosesTheStream() {
        let stream = SSEStream(limits: .init(maxBufferedEvents: 3))
        let reason = Mutex<SSEStream.CloseReason?>(nil)
        stream.onTermination { closeReason in reason.withLock { $0 = closeReason } }
        #expect(stream.send(SSEEvent(data: "1")))
        #expect(stream.send(SSEEvent(data: "2")))
        #expect(stream.send(SSEEvent(data: "3")))
        #expect(stream.send(SSEEvent(data: "4")) == false)
        #expect(stream.closeReason == .overflow)
        #expect(reason.withLock { $0 } == .overflow)
        #expect(stream.drain().events.isEmpty)
    }

    @Test func finishDeliversWhatIsQueued() async {
        let stream = SSEStream()
        stream.send(SSEEvent(data: "a"))
        stream.finish()
        #expect(stream.send(SSEEvent(data: "b")) == false)
        #expect(await stream.next()?.data == "a")
        #expect(await stream.next() == nil)
    }

    @Test func fieldsCannotInjectLines() {
        let event = SSEEvent(id: "1\nevent: evil", event: "a\rb", data: "x")
        #expect(String(decoding: event.encoded, as: UTF8.self) == "id: 1event: evil\nevent: ab\ndata: x\n\n")
        #expect(String(decoding: SSEEvent.comment("a\nb"), as: UTF8.self) == ": ab\n\n")
    }
}
