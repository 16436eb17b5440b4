import Testing

@testable import ErrandHTTP

/// The parser must cost time linear in its input and refuse oversized heads as soon as a limit is passed
/// (the opposite of a parser that rescans its buffer on every read).
struct HTTPRequestParserLinearityTests {
    @Test func oneMebibyteHeaderIsRefusedAfterTheLimit() {
        let limits = HTTPRequestParser.Limits()  // defaults: 8 KiB field, 32 KiB head
        let huge =
            Array("GET / HTTP/1.1\r\nHost: a\r\nX-Big: ".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
        let clock = ContinuousClock()
        let start = clock.now

        // Fed the way a socket delivers it: 4 KiB reads, stopping at the first event.
        var parser = HTTPRequestParser(limits: limits)
        var fed = 0
        var status: Int?
        while fed < huge.count, status == nil {
            let end = min(fed + 4096, huge.count)
            huge[fed..<end].withUnsafeBytes { parser.append($0) }
            fed = end
            if case .error(let error) = parser.next() { status = error.status }
        }
        #expect(status == 431)
        #expect(fed <= limits.maxHeaderFieldLength + 2 * 4096)

        // Fed in one piece: the line search stops one line's worth past the line start.
        var whole = HTTPRequestParser(limits: limits)
        whole.append(huge)
        guard case .error(let error) = whole.next() else {
            Issue.record("expected 431")
            return
        }
        #expect(error.status == 431)
        #expect(whole.bytesScanned <= 64 + limits.maxHeaderFieldLength + 2)
        #expect(clock.now - start < .seconds(1))
    }

    @Test func byteAtATimeScansEachByteOnce() {
        // A head just under the default limits, fed one byte at a time: a rescanning parser would look at
        // about n²/2 bytes (hundreds of millions), a linear one at most n.
        var text = "GET / HTTP/1.1\r\nHost: a\r\n"
        for index in 0..<90 { text += "X-Field-\(index): \(String(repeating: "v", count: 300))\r\n" }
        text += "\r\n"
        let bytes = Array(text.utf8)
        var parser = HTTPRequestParser(limits: HTTPRequestParser.Limits())
        var requests = 0
        for byte in bytes {
            parser.append([byte])
            if case .request = parser.next() { requests += 1 }
        }
        #expect(requests == 1)
        #expect(parser.bytesAppended == bytes.count)
        #expect(parser.bytesScanned <= bytes.count)
    }

    @Test func longChunkedBodyByteAtATimeIsLinear() {
        var text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        for _ in 0..<2000 { text += "a;ext=1\r\n0123456789\r\n" }
        text += "0\r\n\r\n"
        let bytes = Array(text.utf8)
        var parser = HTTPRequestParser(limits: HTTPRequestParser.Limits())
        var body: [UInt8]?
        for byte in bytes {
            parser.append([byte])
            if case .request(_, let received) = parser.next() { body = received }
        }
        #expect(body?.count == 20_000)
        #expect(parser.bytesScanned <= bytes.count)
    }

    @Test func manyPipelinedRequestsInOneBufferAreAllParsed() {
        let one = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"
        var parser = HTTPRequestParser(limits: HTTPRequestParser.Limits())
        parser.append(Array(String(repeating: one, count: 5000).utf8))
        var count = 0
        while case .request = parser.next() { count += 1 }
        #expect(count == 5000)
        #expect(parser.unparsedByteCount == 0)
    }
}
