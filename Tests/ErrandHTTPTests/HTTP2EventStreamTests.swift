import ErrandHTTP
import Synchronization
import Testing

/// Server-Sent Events over HTTP/2: one DATA stream per ``SSEStream``, each paced by its own window.
struct HTTP2EventStreamTests {
    typealias StreamBox = EventStreamTests.StreamBox

    @Test func eventsArriveThenTheStreamEnds() async throws {
        let box = StreamBox()
        try await withServer(responder: box.responder) { _, port in
            let client = try HTTP2Tests.connect(port)
            try client.request(stream: 1, path: "/stream")
            try client.read { !$0.response(1).headers.isEmpty }
            #expect(client.response(1).status == 200)
            #expect(client.response(1).header("content-type") == "text/event-stream")
            #expect(client.response(1).header("content-length") == nil)
            let stream = try #require(box.stream())
            stream.send(SSEEvent(id: "1", event: "status", data: "working"))
            try client.read { $0.response(1).text == "id: 1\nevent: status\ndata: working\n\n" }
            stream.send(SSEEvent(data: "last"))
            stream.finish()
            try client.read { $0.response(1).ended }
            #expect(client.response(1).text == "id: 1\nevent: status\ndata: working\n\ndata: last\n\n")
            #expect(client.response(1).resetCode == nil)
            // The connection goes on.
            try client.request(stream: 3, path: "/hello")
            try client.read { $0.response(3).ended }
            #expect(client.response(3).text == "hello")
        }
    }

    @Test func keepAliveCommentsAreSentOnAnIdleStream() async throws {
        let box = StreamBox()
        try await withServer(configure: { $0.sseKeepAliveInterval = .milliseconds(100) }, responder: box.responder) {
            _, port in
            let client = try HTTP2Tests.connect(port)
            try client.request(stream: 1, path: "/stream")
            try client.read { $0.response(1).text.hasPrefix(": keep-alive\n\n") }
            box.stream()?.finish()
            try client.read { $0.response(1).ended }
        }
    }

    @Test func clientResetCancelsOnlyThatStream() async throws {
        let box = StreamBox()
        try await withServer(responder: box.responder) { _, port in
            let client = try HTTP2Tests.connect(port)
            try client.request(stream: 1, path: "/stream")
            try client.request(stream: 3, path: "/stream")
            try client.read { !$0.response(1).headers.isEmpty && !$0.response(3).headers.isEmpty }
            let first = try #require(box.stream(0))
            let second = try #require(box.stream(1))
            try client.reset(stream: 1)
            #expect(eventually { first.closeReason == .cancelled })
            #expect(second.closeReason == nil)
            second.send(SSEEvent(data: "still here"))
            second.finish()
            try client.read { $0.response(3).ended }
            #expect(client.response(3).text == "data: still here\n\n")
        }
    }

    @Test func connectionCloseCancelsEveryStream() async throws {
        let box = StreamBox()
        try await withServer(responder: box.responder) { server, port in
            do {
                let client = try HTTP2Tests.connect(port)
                for index in 0..<5 { try client.request(stream: Int32(1 + 2 * index), path: "/stream") }
                _ = box.stream(4)
            }  // the client goes away
            #expect(eventually { box.streams.withLock { $0.allSatisfy { $0.closeReason == .cancelled } } })
            #expect(eventually { server.connectionCount == 0 })
        }
    }

    /// 200 event streams on one connection; the client never grants stream 1 more window, so its events
    /// stop at the initial window while the 199 others carry on.
    @Test func aStalledStreamDoesNotHoldUpTheOthers() async throws {
        let box = StreamBox()
        let count = 200
        try await withServer(responder: box.responder) { _, port in
            let client = try HTTP2FrameClient(port: port, timeoutSeconds: 10)
            client.stalledStreams = [1]
            try client.start(settings: [(0x4, 1024)])  // INITIAL_WINDOW_SIZE: 1 KiB per stream
            let ids = (0..<count).map { Int32(1 + 2 * $0) }
            for id in ids { try client.request(stream: id, path: "/stream") }
            try client.read { client in ids.allSatisfy { !client.response($0).headers.isEmpty } }
            let streams = box.streams.withLock { $0 }
            #expect(streams.count == count)

            let payload = String(repeating: "x", count: 200)
            let event = SSEEvent(data: payload)
            let rounds = 20  // 20 × 208 bytes: four times the stalled stream's window
            for _ in 0..<rounds {
                for stream in streams { stream.send(event) }
                sleep(milliseconds: 2)
            }
            let expected = rounds * event.encoded.count
            let others = ids.dropFirst()
            try client.read { client in others.allSatisfy { client.response($0).body.count == expected } }
            #expect(client.response(1).body.count <= 1024)
            #expect(client.response(1).ended == false)
            #expect(client.goaways.isEmpty)

            // Finishing the others ends them cleanly; the stalled one is still open.
            for stream in streams.dropFirst() { stream.finish() }
            try client.read { client in others.allSatisfy { client.response($0).ended } }
            #expect(client.response(1).ended == false)
            streams[0].finish()
        }
    }

    @Test func aStalledStreamThatOverflowsIsResetAlone() async throws {
        let box = StreamBox(limits: SSEStream.Limits(maxBufferedEvents: 8))
        try await withServer(responder: box.responder) { _, port in
            let client = try HTTP2FrameClient(port: port)
            client.stalledStreams = [1]
            try client.start(settings: [(0x4, 100)])
            try client.request(stream: 1, path: "/stream")
            try client.request(stream: 3, path: "/stream")
            try client.read { !$0.response(1).headers.isEmpty && !$0.response(3).headers.isEmpty }
            let stalled = try #require(box.stream(0))
            let live = try #require(box.stream(1))
            for index in 0..<40 {
                stalled.send(SSEEvent(data: "event \(index)"))
                sleep(milliseconds: 1)
            }
            #expect(stalled.closeReason == .overflow)
            try client.read { $0.response(1).resetCode != nil }
            #expect(client.response(1).resetCode == 0x8)  // CANCEL
            live.send(SSEEvent(data: "fine"))
            live.finish()
            try client.read { $0.response(3).ended }
            #expect(client.response(3).text == "data: fine\n\n")
        }
    }

    @Test func deferredEventStreamForAResetStreamIsCancelled() async throws {
        let stream = SSEStream()
        let responder = HTTPResponderClosure { _ in
            .deferred {
                try? await Task.sleep(for: .milliseconds(200))
                return .eventStream(stream)
            }
        }
        try await withServer(responder: responder) { _, port in
            let client = try HTTP2Tests.connect(port)
            try client.request(stream: 1, path: "/late")
            try client.reset(stream: 1)
            #expect(eventually { stream.closeReason == .cancelled })
        }
    }
}
