import Testing

@testable import ErrandHTTP

/// Well-formed requests, each checked fed whole and fed one byte at a time.
struct HTTPRequestParserTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var input: String
        var expected: [ParseOutcome]
        var testDescription: String { name }
    }

    static let validCases: [Case] = [
        Case(name: "simple GET", input: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", expected: [get()]),
        Case(
            name: "target with query", input: "GET /api/tasks?status=working HTTP/1.1\r\nHost: a\r\n\r\n",
            expected: [get("/api/tasks?status=working")]),
        Case(
            name: "empty lines before the request line", input: "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
            expected: [get()]),
        Case(name: "bare LF line endings", input: "GET / HTTP/1.1\nHost: a\n\n", expected: [get()]),
        Case(
            name: "HEAD", input: "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n",
            expected: [.request(method: "HEAD", target: "/x", version: "HTTP/1.1", body: "", keepAlive: true)]),
        Case(
            name: "Content-Length body", input: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
            expected: [post("hello")]),
        Case(
            name: "identical duplicate Content-Length is accepted",
            input: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nhi",
            expected: [post("hi")]),
        Case(
            name: "Content-Length zero", input: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
            expected: [post("")]),
        Case(
            name: "chunked body",
            input:
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            expected: [post("hello world")]),
        Case(
            name: "chunked with extensions, uppercase hex, leading zeros and trailers",
            input:
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n00A;name=value;flag\r\n0123456789\r\n"
                + "1 ; ext=\"q\"\r\n!\r\n0\r\nTrailer-One: x\r\nTrailer-Two: y\r\n\r\n",
            expected: [post("0123456789!")]),
        Case(
            name: "OWS around values is trimmed",
            input: "POST / HTTP/1.1\r\nHost:a\r\nContent-Length: \t3 \t\r\n\r\nabc", expected: [post("abc")]),
        Case(
            name: "HTTP/1.0 without Host closes by default", input: "GET / HTTP/1.0\r\n\r\n",
            expected: [get(version: "HTTP/1.0", keepAlive: false)]),
        Case(
            name: "HTTP/1.0 keep-alive", input: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
            expected: [get(version: "HTTP/1.0", keepAlive: true)]),
        Case(
            name: "Connection: close", input: "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n",
            expected: [get(keepAlive: false)]),
        Case(
            name: "three pipelined requests in one buffer",
            input:
                "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                + "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
            expected: [get("/1"), post("abc", target: "/2"), get("/3")]),
        Case(
            name: "Expect: 100-continue announces the body",
            input: "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok",
            expected: [.expectContinue, post("ok")]),
        Case(
            name: "Expect: 100-continue without a body is just a request",
            input: "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", expected: [get()]),
        Case(
            name: "Expect is ignored on HTTP/1.0", input: "GET / HTTP/1.0\r\nExpect: something\r\n\r\n",
            expected: [get(version: "HTTP/1.0", keepAlive: false)]),
        Case(name: "HTTP/2 preface", input: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", expected: [.http2Preface]),
        Case(
            name: "obs-text in a field value is allowed",
            input: "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\u{e9}\r\n\r\n",
            expected: [get()]),
        Case(
            name: "exactly at every limit",
            input: "GET /\(String(repeating: "a", count: 50)) HTTP/1.1\r\nHost: a\r\nX-1: 1\r\n"
                + "X-3: \(String(repeating: "v", count: 64 - 5))\r\nContent-Length: 32\r\n\r\n"
                + String(repeating: "b", count: 32),
            expected: [
                .request(
                    method: "GET", target: "/" + String(repeating: "a", count: 50), version: "HTTP/1.1",
                    body: String(repeating: "b", count: 32), keepAlive: true)
            ]),
    ]

    @Test(arguments: validCases)
    func parsesWellFormedRequests(_ testCase: Case) {
        #expect(parse(testCase.input) == testCase.expected)
    }

    @Test(arguments: validCases)
    func byteAtATimeMatchesAllAtOnce(_ testCase: Case) {
        #expect(parse(testCase.input, byteAtATime: true) == parse(testCase.input))
    }

    /// Regression (found by scripts/fuzz-http.sh): a chunk-size line of exactly `maxChunkLineLength` bytes was
    /// refused when its CR arrived in an earlier read than its LF, though accepted when both came at once.
    @Test func chunkSizeLineAtTheLimitDoesNotDependOnReadBoundaries() {
        var limits = testLimits()
        limits.maxChunkLineLength = 16
        func request(extensionLength: Int) -> String {
            let line = "3;" + String(repeating: "e", count: extensionLength)
            return "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\(line)\r\nabc\r\n0\r\n\r\n"
        }
        let atLimit = request(extensionLength: 14)  // "3;" + 14 bytes: exactly 16
        #expect(parse(atLimit, limits: limits) == [post("abc")])
        #expect(parse(atLimit, limits: limits, byteAtATime: true) == [post("abc")])
        let tooLong = request(extensionLength: 15)
        #expect(parse(tooLong, limits: limits) == [.error(400)])
        #expect(parse(tooLong, limits: limits, byteAtATime: true) == [.error(400)])
    }

    /// Regression (found by scripts/fuzz-http.sh): a head of exactly `maxHeaderBytes` before its closing empty
    /// line was accepted when that line arrived whole but refused with 431 when its CR came in an earlier read
    /// (the lone CR was counted as header bytes; the complete empty line is not).
    @Test func headAtTheByteLimitDoesNotDependOnReadBoundaries() {
        let requestLine = "GET /\(String(repeating: "a", count: 49)) HTTP/1.1\r\n"  // 65 bytes
        let fields = ["X-1: ", "X-2: ", "X-3: "].enumerated().map { index, name in
            name + String(repeating: "v", count: index == 2 ? 53 : 54) + "\r\n"  // 61 + 61 + 60 bytes
        }
        let head = requestLine + "Host: a\r\n" + fields.joined()
        #expect(head.utf8.count == testLimits().maxHeaderBytes)
        let expected = [get("/" + String(repeating: "a", count: 49))]
        #expect(parse(head + "\r\n") == expected)
        #expect(parse(head + "\r\n", byteAtATime: true) == expected)
    }

    /// Regression (found by scripts/fuzz-http.sh): a field line over both the field limit and the header-byte
    /// limit was refused for whichever limit the read that exposed it happened to check first.
    @Test func aLineOverTwoLimitsIsRefusedTheSameWayWhateverTheReads() {
        func reasons(_ input: String) -> Set<String> {
            var found: Set<String> = []
            for pieces in [input.utf8.count, 1, 7, 13] {
                var parser = HTTPRequestParser(limits: testLimits())
                let bytes = Array(input.utf8)
                var offset = 0
                reading: while offset < bytes.count {
                    parser.append(Array(bytes[offset..<min(bytes.count, offset + pieces)]))
                    offset += pieces
                    while true {
                        switch parser.next() {
                        case .needMoreData: continue reading
                        case .error(let error): found.insert(error.description); break reading
                        default: continue
                        }
                    }
                }
            }
            return found
        }
        let filler = (1...3).map { "X-\($0): \(String(repeating: "v", count: 55))\r\n" }.joined()  // 3 x 62 bytes
        let headNearlyFull = "GET / HTTP/1.1\r\nHost: a\r\n" + filler  // 211 of 256 bytes
        let nearlyFull = reasons(headNearlyFull + "X-4: " + String(repeating: "w", count: 200) + "\r\n\r\n")
        #expect(nearlyFull.count == 1 && nearlyFull.allSatisfy { $0.hasPrefix("431 ") }, "\(nearlyFull)")
        let roomy = "GET / HTTP/1.1\r\nHost: a\r\n"
        #expect(
            reasons(roomy + "X-4: " + String(repeating: "w", count: 200) + "\r\n\r\n") == ["431 header field too long"])
    }

    @Test func headersKeepOrderAndCase() throws {
        var parser = HTTPRequestParser(limits: testLimits())
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\n\r\n".utf8))
        guard case .request(let head, _) = parser.next() else {
            Issue.record("no request")
            return
        }
        #expect(head.headers.fields.map(\.name) == ["Host", "X-A", "x-a"])
        #expect(head.headers.values("X-A") == ["1", "2"])
        #expect(parser.phase == .idle)
    }

    @Test func phaseTracksHeadAndBody() {
        var parser = HTTPRequestParser(limits: testLimits())
        #expect(parser.phase == .idle)
        parser.append(Array("POST / HTTP/1.1\r\n".utf8))
        #expect(parser.next() == .needMoreDataMarker)
        #expect(parser.phase == .head)
        parser.append(Array("Host: a\r\nContent-Length: 4\r\n\r\nab".utf8))
        #expect(parser.next() == .needMoreDataMarker)
        #expect(parser.phase == .body)
        parser.append(Array("cd".utf8))
        if case .request(_, let body) = parser.next() {
            #expect(body == Array("abcd".utf8))
        } else {
            Issue.record("expected the request")
        }
        #expect(parser.phase == .idle)
    }

    @Test func prefaceLeavesItsBytesForTheNextHandler() {
        var parser = HTTPRequestParser(limits: testLimits())
        let preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u{0}\u{0}"
        parser.append(Array(preface.utf8))
        guard case .http2Preface = parser.next() else {
            Issue.record("expected the preface")
            return
        }
        #expect(parser.takeUnparsedBytes() == Array(preface.utf8))
    }

    @Test func errorStopsTheParser() {
        var parser = HTTPRequestParser(limits: testLimits())
        parser.append(Array("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n".utf8))
        guard case .error(let error) = parser.next() else {
            Issue.record("expected an error")
            return
        }
        #expect(error.status == 400)
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(parser.next() == .needMoreDataMarker)
        #expect(parser.phase == .stopped)
    }

    @Test func errorResponsesAreShortTextThatCloses() throws {
        let response = HTTPParseError.badRequest("bare CR in header").response
        #expect(response.status == 400)
        #expect(response.headers["Connection"] == "close")
        #expect(response.headers["Content-Type"] == "text/plain; charset=utf-8")
        guard case .bytes(let body) = response.body else {
            Issue.record("expected bytes")
            return
        }
        #expect(String(decoding: body, as: UTF8.self) == "bare CR in header\n")
    }
}

extension HTTPRequestParser.Event {
    /// Stands for ``needMoreData`` in `==` comparisons.
    static let needMoreDataMarker = HTTPRequestParser.Event.needMoreData

    static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.needMoreData, .needMoreData), (.http2Preface, .http2Preface), (.expectContinue, .expectContinue): true
        case (.error(let a), .error(let b)): a == b
        default: false
        }
    }
}
