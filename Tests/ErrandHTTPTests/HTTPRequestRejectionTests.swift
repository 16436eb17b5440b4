import Testing

@testable import ErrandHTTP

/// Every rule that refuses a request: limits, malformed syntax and request-smuggling shapes. Each case is
/// checked fed whole and fed one byte at a time.
struct HTTPRequestRejectionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var input: String
        var status: Int
        var testDescription: String { "\(status): \(name)" }
    }

    static let host = "Host: a\r\n"
    static let long = String(repeating: "x", count: 65)

    static let limitCases: [Case] = [
        Case(name: "request line over the limit", input: "GET /\(long) HTTP/1.1\r\n\(host)\r\n", status: 414),
        Case(name: "request line over the limit, no newline yet", input: "GET /\(long)", status: 414),
        Case(name: "header field over the limit", input: "GET / HTTP/1.1\r\n\(host)X: \(long)\r\n\r\n", status: 431),
        Case(name: "header field over the limit, no newline yet", input: "GET / HTTP/1.1\r\nX: \(long)", status: 431),
        Case(
            name: "too many header fields",
            input: "GET / HTTP/1.1\r\n\(host)A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", status: 431),
        Case(
            name: "header section over the byte limit",
            input: "GET / HTTP/1.1\r\n"
                + String(repeating: "X-Field: \(String(repeating: "v", count: 50))\r\n", count: 4),
            status: 431),
        Case(
            name: "leading empty lines count toward the header bytes",
            input: String(repeating: "\r\n", count: 200) + "GET / HTTP/1.1\r\n\(host)\r\n", status: 431),
        Case(
            name: "Content-Length over the body limit, refused before the body",
            input: "POST / HTTP/1.1\r\n\(host)Content-Length: 33\r\n\r\n", status: 413),
        Case(
            name: "Content-Length that overflows",
            input: "POST / HTTP/1.1\r\n\(host)Content-Length: 99999999999999999999999999\r\n\r\n", status: 413),
        Case(
            name: "chunked body over the limit",
            input:
                "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n10\r\n\(String(repeating: "a", count: 16))\r\n11\r\n",
            status: 413),
        Case(
            name: "trailer over the field limit",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n0\r\nT: \(long)\r\n\r\n", status: 431),
        Case(
            name: "chunk size line too long",
            input:
                "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n1;\(String(repeating: "e", count: 5000))",
            status: 400),
    ]

    static let syntaxCases: [Case] = [
        Case(name: "HTTP/2.0 request line", input: "GET / HTTP/2.0\r\n\(host)\r\n", status: 505),
        Case(name: "HTTP/0.9 version", input: "GET / HTTP/0.9\r\n\(host)\r\n", status: 505),
        Case(name: "HTTP/1.2 version", input: "GET / HTTP/1.2\r\n\(host)\r\n", status: 505),
        Case(name: "lower-case version", input: "GET / http/1.1\r\n\(host)\r\n", status: 400),
        Case(name: "version with extra characters", input: "GET / HTTP/1.10\r\n\(host)\r\n", status: 400),
        Case(name: "missing version", input: "GET /\r\n\(host)\r\n", status: 400),
        Case(name: "two spaces after the method", input: "GET  / HTTP/1.1\r\n\(host)\r\n", status: 400),
        Case(name: "tab as separator", input: "GET\t/ HTTP/1.1\r\n\(host)\r\n", status: 400),
        Case(name: "invalid token character in the method", input: "GE(T / HTTP/1.1\r\n\(host)\r\n", status: 400),
        Case(name: "empty method", input: " / HTTP/1.1\r\n\(host)\r\n", status: 400),
        Case(name: "control character in the target", input: "GET /\u{1}x HTTP/1.1\r\n\(host)\r\n", status: 400),
        Case(name: "missing Host on HTTP/1.1", input: "GET / HTTP/1.1\r\n\r\n", status: 400),
        Case(name: "two Host fields", input: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400),
        Case(name: "header without a colon", input: "GET / HTTP/1.1\r\n\(host)NoColon\r\n\r\n", status: 400),
        Case(name: "empty field name", input: "GET / HTTP/1.1\r\n\(host): value\r\n\r\n", status: 400),
        Case(name: "unsupported expectation", input: "GET / HTTP/1.1\r\n\(host)Expect: magic\r\n\r\n", status: 417),
        Case(
            name: "a coding before chunked is not implemented",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip, chunked\r\n\r\n", status: 501),
        Case(
            name: "an unknown coding before chunked is not implemented",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: frobnicate\r\nTransfer-Encoding: chunked\r\n\r\n",
            status: 501),
    ]

    static let smugglingCases: [Case] = [
        Case(
            name: "Content-Length with Transfer-Encoding",
            input: "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            status: 400),
        Case(
            name: "Transfer-Encoding with Content-Length",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n", status: 400),
        Case(
            name: "two different Content-Length values",
            input: "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", status: 400),
        Case(
            name: "Content-Length list", input: "POST / HTTP/1.1\r\n\(host)Content-Length: 5, 5\r\n\r\nhello",
            status: 400),
        Case(
            name: "Content-Length with a sign", input: "POST / HTTP/1.1\r\n\(host)Content-Length: +5\r\n\r\nhello",
            status: 400),
        Case(
            name: "negative Content-Length", input: "POST / HTTP/1.1\r\n\(host)Content-Length: -1\r\n\r\n", status: 400),
        Case(
            name: "hex Content-Length", input: "POST / HTTP/1.1\r\n\(host)Content-Length: 0x5\r\n\r\nhello", status: 400
        ),
        Case(name: "empty Content-Length", input: "POST / HTTP/1.1\r\n\(host)Content-Length:\r\n\r\n", status: 400),
        Case(
            name: "Content-Length with inner space", input: "POST / HTTP/1.1\r\n\(host)Content-Length: 1 0\r\n\r\n",
            status: 400),
        Case(
            name: "chunked not final", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked, gzip\r\n\r\n",
            status: 400),
        Case(name: "only gzip", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip\r\n\r\n", status: 400),
        Case(
            name: "chunked twice", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked, chunked\r\n\r\n",
            status: 400),
        Case(
            name: "chunked then another field",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
            status: 400),
        Case(
            name: "empty coding", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: , chunked\r\n\r\n", status: 400),
        Case(
            name: "Transfer-Encoding on HTTP/1.0",
            input: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400),
        Case(name: "bare CR in the request line", input: "GET /\r HTTP/1.1\r\n\(host)\r\n", status: 400),
        Case(name: "bare CR ending the request line", input: "GET / HTTP/1.1\r\r\n\(host)\r\n", status: 400),
        Case(name: "bare CR in a field value", input: "GET / HTTP/1.1\r\n\(host)X: a\rb\r\n\r\n", status: 400),
        Case(name: "bare CR in a field name", input: "GET / HTTP/1.1\r\n\(host)X\r: a\r\n\r\n", status: 400),
        Case(name: "bare CR as a line", input: "GET / HTTP/1.1\r\n\(host)\r\r\n\r\n", status: 400),
        Case(
            name: "space between field name and colon",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding : chunked\r\n\r\n", status: 400),
        Case(name: "tab between field name and colon", input: "GET / HTTP/1.1\r\n\(host)X\t: a\r\n\r\n", status: 400),
        Case(name: "obs-fold with a space", input: "GET / HTTP/1.1\r\n\(host)X: a\r\n b\r\n\r\n", status: 400),
        Case(name: "obs-fold with a tab", input: "GET / HTTP/1.1\r\n\(host)X: a\r\n\tb\r\n\r\n", status: 400),
        Case(name: "invalid character in a field name", input: "GET / HTTP/1.1\r\n\(host)X@Y: a\r\n\r\n", status: 400),
        Case(name: "non-ASCII in a field name", input: "GET / HTTP/1.1\r\n\(host)N\u{e4}me: a\r\n\r\n", status: 400),
        Case(name: "NUL in a field value", input: "GET / HTTP/1.1\r\n\(host)X: a\u{0}b\r\n\r\n", status: 400),
        Case(
            name: "control character in a field value", input: "GET / HTTP/1.1\r\n\(host)X: a\u{1}b\r\n\r\n",
            status: 400),
        Case(name: "DEL in a field value", input: "GET / HTTP/1.1\r\n\(host)X: a\u{7f}b\r\n\r\n", status: 400),
        Case(
            name: "non-hex chunk size",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\nxyz\r\n", status: 400),
        Case(
            name: "empty chunk size", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n\r\n",
            status: 400),
        Case(
            name: "negative chunk size",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n-1\r\n", status: 400),
        Case(
            name: "chunk size with a 0x prefix",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", status: 400),
        Case(
            name: "overflowing chunk size",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n", status: 400),
        Case(
            name: "chunk data longer than its size",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", status: 400),
        Case(
            name: "chunk data followed by a bare LF",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n2\r\nab\n0\r\n\r\n", status: 400),
        Case(
            name: "control character in a chunk extension",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n2;a\u{1}\r\nab\r\n0\r\n\r\n",
            status: 400),
        Case(
            name: "bare CR in a chunk size line",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n2;a\rb\r\nab\r\n0\r\n\r\n", status: 400),
        Case(
            name: "obs-fold in a trailer",
            input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n0\r\nT: a\r\n b\r\n\r\n", status: 400),
    ]

    @Test(arguments: limitCases + syntaxCases + smugglingCases)
    func refuses(_ testCase: Case) {
        #expect(parse(testCase.input) == [.error(testCase.status)])
    }

    @Test(arguments: limitCases + syntaxCases + smugglingCases)
    func refusesByteAtATime(_ testCase: Case) {
        #expect(parse(testCase.input, byteAtATime: true) == [.error(testCase.status)])
    }

    @Test func errorAfterAValidPipelinedRequestKeepsTheFirst() {
        let input =
            "GET /ok HTTP/1.1\r\nHost: a\r\n\r\nPOST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
        #expect(parse(input) == [get("/ok"), .error(400)])
    }

    @Test func chunkSizeLineAtTheLimitWithItsCRIsNotTooLong() {
        // Found by the fuzzer: the CR before LF does not count toward the line limit, fed whole or not.
        var limits = testLimits()
        limits.maxChunkLineLength = 8
        let input = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;abcdef\r\nabc\r\n0\r\n\r\n"
        #expect(parse(input, limits: limits) == [post("abc")])
        #expect(parse(input, limits: limits, byteAtATime: true) == [post("abc")])
    }

    @Test func headerByteLimitBelowTheLineLimitStillApplies() {
        var limits = testLimits()
        limits.maxHeaderBytes = 40
        let input = "GET /\(String(repeating: "a", count: 40)) HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(parse(input, limits: limits) == [.error(431)])
        #expect(parse(input, limits: limits, byteAtATime: true) == [.error(431)])
    }

    @Test func oversizedBodyIsRefusedBeforeItArrives() {
        // Only the head is fed: the 413 does not wait for a single body byte.
        var parser = HTTPRequestParser(limits: testLimits())
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n".utf8))
        guard case .error(let error) = parser.next() else {
            Issue.record("expected 413")
            return
        }
        #expect(error.status == 413)
    }
}
