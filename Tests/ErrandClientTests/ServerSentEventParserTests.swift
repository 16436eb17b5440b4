import Testing

@testable import ErrandClient

@Suite struct ServerSentEventParserTests {
    @Test func eventsSplitAcrossChunksAndLineEndings() throws {
        var parser = ServerSentEventParser(maxEventBytes: 1_000)
        #expect(try parser.feed(Array("id: 7\r\ndata: {\"a\"".utf8)).isEmpty)
        #expect(try parser.feed(Array(":1}\r".utf8)).isEmpty)
        let events = try parser.feed(Array("\n:comment\r\ndata: 2\r\n\r\nevent: end\ndata:x\n\n".utf8))
        #expect(
            events == [
                ServerSentEvent(id: "7", event: nil, data: "{\"a\":1}\n2", retry: nil),
                ServerSentEvent(id: "7", event: "end", data: "x", retry: nil),
            ])
    }

    @Test func aPrimingEventWithOnlyAnIDIsDispatched() throws {
        var parser = ServerSentEventParser(maxEventBytes: 100)
        let events = try parser.feed(Array("id: p1\ndata:\nretry: 500\n\n\n".utf8))
        #expect(events == [ServerSentEvent(id: "p1", event: nil, data: "", retry: 500)])
    }

    @Test func anEventLargerThanTheLimitIsRefused() {
        var parser = ServerSentEventParser(maxEventBytes: 10)
        #expect(throws: MCPClientError.self) { try parser.feed(Array("data: 0123456789ABCDEF\n\n".utf8)) }
    }
}
