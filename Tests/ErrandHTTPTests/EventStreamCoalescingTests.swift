import ErrandHTTP
import Synchronization
import Testing

/// Events queued while a connection is busy go out as one write, byte for byte what separate writes were.
struct EventStreamCoalescingTests {
    /// Events of every shape: with and without fields, multi-line, one value queued twice (shared bytes).
    static let events: [SSEEvent] = {
        let shared = SSEEvent(id: "7", event: "task", data: #"{"a":1}"#)
        var events = (0..<50).map { SSEEvent(id: String($0), event: "task", data: "payload \($0)\nsecond line") }
        events += [shared, SSEEvent(data: ""), shared, SSEEvent(data: "x", retry: 100)]
        return events
    }()

    @Test func eventsQueuedBeforeTheFirstWakeUpGoOutInOneChunkInOrder() async throws {
        // The responder fills the stream before the connection installs its wake-up, so one drain takes all.
        let responder = TestResponder { _ in
            let stream = SSEStream()
            for event in Self.events { stream.send(event) }
            stream.finish()
            return .eventStream(stream)
        }
        try await withServer(responder: responder) { _, port in
            let client = try TestClient(port: port)
            try client.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readHead().status == 200)
            var chunks: [[UInt8]] = []
            while let chunk = try client.readChunk() { chunks.append(chunk) }
            #expect(chunks.count == 1)
            #expect(chunks.flatMap { $0 } == Self.events.flatMap(\.encoded))
        }
    }

    @Test func aBurstArrivesByteForByteInOrderHoweverItIsCoalesced() async throws {
        let box = EventStreamTests.StreamBox()
        try await withServer(responder: box.responder) { _, port in
            let client = try TestClient(port: port)
            try client.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readHead().status == 200)
            let stream = try #require(box.stream())
            for _ in 0..<10 { for event in Self.events { stream.send(event) } }
            stream.finish()
            var received: [UInt8] = []
            while let chunk = try client.readChunk() { received += chunk }
            let expected = (0..<10).flatMap { _ in Self.events.flatMap(\.encoded) }
            #expect(received == expected)
        }
    }

    @Test func changingAFieldReencodesTheEvent() {
        var event = SSEEvent(id: "1", event: "task", data: "a")
        event.data = "b\nc"
        #expect(event.encoded == SSEEvent(id: "1", event: "task", data: "b\nc").encoded)
        event.id = nil
        event.event = nil
        event.retry = 5
        #expect(String(decoding: event.encoded, as: UTF8.self) == "retry: 5\ndata: b\ndata: c\n\n")
        #expect(event == SSEEvent(data: "b\nc", retry: 5))
    }
}
