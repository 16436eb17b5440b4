#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An incremental HTTP/1.1 request parser (RFC 9112): bytes in, events out. No sockets, no clock.
///
/// Feed bytes with ``append(_:)`` as they arrive and call ``next()`` until it returns
/// ``Event/needMoreData``. The parser is linear in its input: it remembers where its line search stopped
/// (`scanIndex`) and never rescans bytes it has already looked at, and it checks every limit against the
/// bytes it holds, so an over-long line is refused as soon as the limit is passed, not when a newline
/// finally arrives.
///
/// After an ``Event/error(_:)`` the parser is spent: it ignores further input and returns
/// ``Event/needMoreData``. The connection answers with the error and closes.
///
/// Decisions where RFC 9112 leaves a choice, documented here once:
/// - A bare `LF` ends a line in the head, chunk-size lines and trailers; a bare `CR` anywhere is a 400.
/// - Chunk data must be followed by exactly `CRLF`.
/// - Repeated `Content-Length` fields with byte-identical values are accepted; different values, or a
///   list value (`5, 5`), are a 400.
/// - Empty lines before the request line are skipped (they count toward ``Limits/maxHeaderBytes``).
/// - `Expect` is ignored on HTTP/1.0 requests (RFC 9110 §10.1.1).
/// - HTTP/1.1 requires exactly one `Host` field; HTTP/1.0 at most one.
struct HTTPRequestParser: Sendable {
    /// The limits the parser enforces; see ``HTTPServerConfiguration`` for defaults and meanings.
    struct Limits: Sendable {
        var maxRequestLineLength: Int
        var maxHeaderFieldLength: Int
        var maxHeaderCount: Int
        var maxHeaderBytes: Int
        var maxBodyBytes: Int
        /// Longest chunk-size line including extensions. Longer → 400.
        var maxChunkLineLength = 4096

        init(_ configuration: HTTPServerConfiguration = HTTPServerConfiguration()) {
            maxRequestLineLength = configuration.maxRequestLineLength
            maxHeaderFieldLength = configuration.maxHeaderFieldLength
            maxHeaderCount = configuration.maxHeaderCount
            maxHeaderBytes = configuration.maxHeaderBytes
            maxBodyBytes = configuration.maxBodyBytes
        }
    }

    enum Event: Sendable {
        /// Nothing more can be parsed until more bytes arrive.
        case needMoreData
        /// A head with `Expect: 100-continue` and a body is complete; the body has not arrived yet.
        case expectContinue(HTTPRequestHead)
        /// A whole request.
        case request(HTTPRequestHead, body: [UInt8])
        /// The connection opened with the HTTP/2 preface (`PRI * HTTP/2.0`). The parser has stopped and
        /// ``takeUnparsedBytes()`` returns the preface and everything after it.
        case http2Preface
        /// The request is malformed or over a limit; answer with it and close.
        case error(HTTPParseError)
    }

    /// Where the parser is between and within requests (drives the connection's read timeouts).
    enum Phase: Equatable {
        /// Not a byte of the next request has arrived.
        case idle
        /// Part of a request head has arrived.
        case head
        /// The head is complete and the body is being read.
        case body
        /// Spent by an error or stopped at the HTTP/2 preface.
        case stopped
    }

    private enum State {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case stopped
    }

    let limits: Limits
    private var state = State.head
    private var buffer: [UInt8] = []
    /// Start of the bytes not yet consumed.
    private var readIndex = 0
    /// Where the search for the next `LF` resumes; never moves backwards within a line.
    private var scanIndex = 0

    // The head being assembled.
    private var sawRequestLine = false
    private var method = ""
    private var target = ""
    private var version = ""
    private var fields: [(name: String, value: String)] = []
    private var headBytes = 0
    private var fieldCount = 0

    // The body being assembled.
    private var pendingHead: HTTPRequestHead?
    private var body: [UInt8] = []

    /// Bytes the line search has examined, over the parser's life: at most the bytes appended, which is
    /// what makes the parser linear. Exposed for tests.
    private(set) var bytesScanned = 0
    /// Bytes appended over the parser's life (ignored input after an error is not counted).
    private(set) var bytesAppended = 0

    init(limits: Limits = Limits()) {
        self.limits = limits
        fields.reserveCapacity(8)
    }

    var phase: Phase {
        switch state {
        case .head: return sawRequestLine || headBytes > 0 || readIndex < buffer.count ? .head : .idle
        case .stopped: return .stopped
        default: return .body
        }
    }

    /// Bytes received but not yet consumed by ``next()``.
    var unparsedByteCount: Int { buffer.count - readIndex }

    /// Adds received bytes. Ignored once the parser has stopped.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if case .stopped = state { return }
        compact()
        bytesAppended += bytes.count
        buffer.append(contentsOf: bytes)
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The bytes the parser holds but has not consumed, leaving it empty: for handing the connection to
    /// another protocol handler after ``Event/http2Preface``.
    mutating func takeUnparsedBytes() -> [UInt8] {
        let rest = Array(buffer[readIndex...])
        buffer.removeAll()
        readIndex = 0
        scanIndex = 0
        return rest
    }

    /// Parses as far as the buffered bytes allow and returns the next event.
    mutating func next() -> Event {
        while true {
            switch state {
            case .stopped:
                return .needMoreData
            case .head:
                if let event = parseHeadLine() { return event }
            case .body(let remaining):
                let taken = takeBody(upTo: remaining)
                if taken == remaining { return completeRequest() }
                state = .body(remaining: remaining - taken)
                return .needMoreData
            case .chunkSize:
                if let event = parseChunkSizeLine() { return event }
            case .chunkData(let remaining):
                let taken = takeBody(upTo: remaining)
                guard taken == remaining else {
                    state = .chunkData(remaining: remaining - taken)
                    return .needMoreData
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard buffer.count - readIndex >= 2 else {
                    if buffer.count > readIndex, buffer[readIndex] != HTTPGrammar.cr {
                        return fail(.badRequest("chunk data not followed by CRLF"))
                    }
                    return .needMoreData
                }
                guard buffer[readIndex] == HTTPGrammar.cr, buffer[readIndex + 1] == HTTPGrammar.lf else {
                    return fail(.badRequest("chunk data not followed by CRLF"))
                }
                readIndex += 2
                scanIndex = readIndex
                state = .chunkSize
            case .trailers:
                if let event = parseTrailerLine() { return event }
            }
        }
    }

    // MARK: lines

    /// A complete line: `start..<end` without its `CRLF`/`LF`; the line ended at `next`.
    private struct Line {
        var start: Int
        var end: Int
        var next: Int
        var length: Int { end - start }
    }

    /// The next complete line from `readIndex`, searching only bytes not searched before, and no further
    /// than a line of `maxLength` (plus `CRLF`) could reach: a single huge read costs at most one line's
    /// worth of scanning before the limit check refuses it.
    private mutating func nextLine(maxLength: Int) -> Line? {
        let window = readIndex + min(maxLength, Int.max - readIndex - 2) + 2
        let end = min(buffer.count, window)
        guard scanIndex < end else { return nil }
        let from = scanIndex
        let found: Int? = buffer.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, let hit = memchr(base + from, Int32(HTTPGrammar.lf), end - from)
            else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
        guard let lf = found else {
            bytesScanned += end - from
            scanIndex = end
            return nil
        }
        bytesScanned += lf + 1 - from
        scanIndex = lf + 1
        var contentEnd = lf
        if contentEnd > readIndex, buffer[contentEnd - 1] == HTTPGrammar.cr { contentEnd -= 1 }
        return Line(start: readIndex, end: contentEnd, next: lf + 1)
    }

    private mutating func consume(_ line: Line) {
        readIndex = line.next
        scanIndex = line.next
    }

    private mutating func fail(_ error: HTTPParseError) -> Event {
        state = .stopped
        buffer.removeAll()
        readIndex = 0
        scanIndex = 0
        pendingHead = nil
        body = []
        return .error(error)
    }

    // MARK: head

    private mutating func parseHeadLine() -> Event? {
        let maxLength = sawRequestLine ? limits.maxHeaderFieldLength : limits.maxRequestLineLength
        guard let line = nextLine(maxLength: min(maxLength, limits.maxHeaderBytes)) else {
            // Incomplete line: refuse as soon as what we hold is already over a limit (+1 for a CR).
            let pending = buffer.count - readIndex
            if !sawRequestLine, pending > limits.maxRequestLineLength + 1 { return fail(.requestLineTooLong) }
            if sawRequestLine, pending > limits.maxHeaderFieldLength + 1 { return fail(.headerFieldTooLong) }
            if headBytes + pending > limits.maxHeaderBytes { return fail(.headerTooLarge) }
            return .needMoreData
        }
        headBytes += line.next - line.start
        consume(line)
        if !sawRequestLine {
            if line.length > limits.maxRequestLineLength { return fail(.requestLineTooLong) }
            if headBytes > limits.maxHeaderBytes { return fail(.headerTooLarge) }
            if line.length == 0 { return nil }  // empty lines before the request line are skipped
            return parseRequestLine(line)
        }
        if line.length == 0 { return finishHead() }
        if line.length > limits.maxHeaderFieldLength { return fail(.headerFieldTooLong) }
        if headBytes > limits.maxHeaderBytes { return fail(.headerTooLarge) }
        fieldCount += 1
        if fieldCount > limits.maxHeaderCount { return fail(.tooManyHeaders) }
        switch validateFieldLine(line) {
        case .failure(let error):
            return fail(error)
        case .success(let (nameEnd, valueStart, valueEnd)):
            let name = string(line.start, nameEnd)
            let value = string(valueStart, valueEnd)
            fields.append((name: name, value: value))
            return nil
        }
    }

    private func string(_ start: Int, _ end: Int) -> String {
        buffer.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self)
        }
    }

    private mutating func parseRequestLine(_ line: Line) -> Event? {
        enum Outcome {
            case parsed(methodEnd: Int, targetStart: Int, targetEnd: Int, minor: UInt8)
            case http2Preface
            case failure(HTTPParseError)
        }
        let outcome: Outcome = buffer.withUnsafeBufferPointer { bytes in
            var index = line.start
            while index < line.end, HTTPGrammar.isToken(bytes[index]) { index += 1 }
            let methodEnd = index
            guard index < line.end, bytes[index] == HTTPGrammar.space, methodEnd > line.start else {
                return .failure(Self.lineError(bytes, index, line, "invalid method"))
            }
            index += 1
            let targetStart = index
            while index < line.end, HTTPGrammar.isTargetByte(bytes[index]) { index += 1 }
            let targetEnd = index
            guard index < line.end, bytes[index] == HTTPGrammar.space, targetEnd > targetStart else {
                return .failure(Self.lineError(bytes, index, line, "invalid request target"))
            }
            index += 1
            // HTTP-version = "HTTP/" DIGIT "." DIGIT, and nothing after it.
            let version = UnsafeBufferPointer(rebasing: bytes[index..<line.end])
            guard version.count == 8, version.starts(with: "HTTP/".utf8), version[6] == UInt8(ascii: "."),
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(version[5]),
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(version[7])
            else {
                let bareCR = version.contains(HTTPGrammar.cr)
                return .failure(.badRequest(bareCR ? "bare CR in request line" : "malformed HTTP version"))
            }
            let major = version[5] - UInt8(ascii: "0")
            let minor = version[7] - UInt8(ascii: "0")
            if major == 1, minor <= 1 {
                return .parsed(methodEnd: methodEnd, targetStart: targetStart, targetEnd: targetEnd, minor: minor)
            }
            let isPreface =
                major == 2 && minor == 0 && methodEnd - line.start == 3 && bytes[line.start] == UInt8(ascii: "P")
                && bytes[line.start + 1] == UInt8(ascii: "R") && bytes[line.start + 2] == UInt8(ascii: "I")
                && targetEnd - targetStart == 1 && bytes[targetStart] == UInt8(ascii: "*")
            return isPreface ? .http2Preface : .failure(.unsupportedVersion)
        }
        switch outcome {
        case .http2Preface:
            // Leave the preface in the buffer for the HTTP/2 handler.
            readIndex = line.start
            scanIndex = line.start
            state = .stopped
            return .http2Preface
        case .failure(let error):
            return fail(error)
        case .parsed(let methodEnd, let targetStart, let targetEnd, let minor):
            method = Self.knownMethod(buffer, line.start, methodEnd) ?? string(line.start, methodEnd)
            target = string(targetStart, targetEnd)
            version = minor == 1 ? "HTTP/1.1" : "HTTP/1.0"
            sawRequestLine = true
            return nil
        }
    }

    /// The error for an unexpected byte at `index` of the request line.
    private static func lineError(
        _ bytes: UnsafeBufferPointer<UInt8>, _ index: Int, _ line: Line, _ what: String
    ) -> HTTPParseError {
        if index < line.end, bytes[index] == HTTPGrammar.cr { return .badRequest("bare CR in request line") }
        return .badRequest("\(what) in request line")
    }

    /// Shares the storage of the common methods instead of building a new string per request.
    private static func knownMethod(_ buffer: [UInt8], _ start: Int, _ end: Int) -> String? {
        switch end - start {
        case 3:
            if buffer[start] == UInt8(ascii: "G"), buffer[start + 1] == UInt8(ascii: "E"),
                buffer[start + 2] == UInt8(ascii: "T")
            {
                return "GET"
            }
        case 4:
            if buffer[start] == UInt8(ascii: "P"), buffer[start + 1] == UInt8(ascii: "O"),
                buffer[start + 2] == UInt8(ascii: "S"), buffer[start + 3] == UInt8(ascii: "T")
            {
                return "POST"
            }
            if buffer[start] == UInt8(ascii: "H"), buffer[start + 1] == UInt8(ascii: "E"),
                buffer[start + 2] == UInt8(ascii: "A"), buffer[start + 3] == UInt8(ascii: "D")
            {
                return "HEAD"
            }
        default: break
        }
        return nil
    }

    /// Checks a field line: `name ":" OWS value OWS`. Returns where the name ends and the value lies.
    private func validateFieldLine(_ line: Line) -> Result<(Int, Int, Int), HTTPParseError> {
        buffer.withUnsafeBufferPointer { bytes in
            let first = bytes[line.start]
            if first == HTTPGrammar.space || first == HTTPGrammar.tab {
                return .failure(.badRequest("obsolete line folding in header"))
            }
            var index = line.start
            while index < line.end, HTTPGrammar.isToken(bytes[index]) { index += 1 }
            guard index < line.end, bytes[index] == HTTPGrammar.colon else {
                if index == line.end { return .failure(.badRequest("header field without a colon")) }
                switch bytes[index] {
                case HTTPGrammar.space, HTTPGrammar.tab:
                    return .failure(.badRequest("whitespace between header field name and colon"))
                case HTTPGrammar.cr:
                    return .failure(.badRequest("bare CR in header"))
                default:
                    return .failure(.badRequest("invalid character in header field name"))
                }
            }
            let nameEnd = index
            if nameEnd == line.start { return .failure(.badRequest("empty header field name")) }
            index += 1
            while index < line.end, bytes[index] == HTTPGrammar.space || bytes[index] == HTTPGrammar.tab {
                index += 1
            }
            let valueStart = index
            var valueEnd = line.end
            while valueEnd > valueStart,
                bytes[valueEnd - 1] == HTTPGrammar.space || bytes[valueEnd - 1] == HTTPGrammar.tab
            {
                valueEnd -= 1
            }
            for position in valueStart..<valueEnd where !HTTPGrammar.isFieldValueByte(bytes[position]) {
                if bytes[position] == HTTPGrammar.cr { return .failure(.badRequest("bare CR in header")) }
                return .failure(.badRequest("control character in header field value"))
            }
            return .success((nameEnd, valueStart, valueEnd))
        }
    }

    private mutating func finishHead() -> Event? {
        let headers = HTTPHeaders(parsedFields: fields)
        let method = self.method
        let target = self.target
        let version = self.version
        sawRequestLine = false
        fields.removeAll(keepingCapacity: true)
        headBytes = 0
        fieldCount = 0
        let framing: HTTPRequestHead.Framing
        var keepAlive: Bool
        var expectsContinue = false
        switch HTTPRequestFraming.analyse(headers, version: version, maxBodyBytes: limits.maxBodyBytes) {
        case .failure(let error):
            return fail(error)
        case .success(let analysis):
            framing = analysis.framing
            keepAlive = analysis.keepAlive
            expectsContinue = analysis.expectsContinue && framing != .none
        }
        let head = HTTPRequestHead(
            method: method, target: target, version: version, headers: headers, framing: framing,
            keepAlive: keepAlive, expectsContinue: expectsContinue)
        switch framing {
        case .none:
            return .request(head, body: [])
        case .length(let length):
            body.reserveCapacity(length)
            state = .body(remaining: length)
        case .chunked:
            state = .chunkSize
        }
        pendingHead = head
        return expectsContinue ? .expectContinue(head) : nil
    }

    private mutating func completeRequest() -> Event {
        let head = pendingHead!
        pendingHead = nil
        let complete = body
        body = []
        state = .head
        headBytes = 0
        fieldCount = 0
        return .request(head, body: complete)
    }

    // MARK: body

    /// Moves up to `count` buffered bytes into the body; returns how many.
    private mutating func takeBody(upTo count: Int) -> Int {
        let taken = min(count, buffer.count - readIndex)
        if taken > 0 {
            body.append(contentsOf: buffer[readIndex..<(readIndex + taken)])
            readIndex += taken
            scanIndex = readIndex
        }
        return taken
    }

    private mutating func parseChunkSizeLine() -> Event? {
        guard let line = nextLine(maxLength: limits.maxChunkLineLength) else {
            if buffer.count - readIndex > limits.maxChunkLineLength {
                return fail(.badRequest("chunk size line too long"))
            }
            return .needMoreData
        }
        if line.length > limits.maxChunkLineLength { return fail(.badRequest("chunk size line too long")) }
        consume(line)
        let parsed: Result<Int, HTTPParseError> = buffer.withUnsafeBufferPointer { bytes in
            var index = line.start
            var size = 0
            while index < line.end, let digit = HTTPGrammar.hexValue(bytes[index]) {
                guard size <= (Int.max - digit) >> 4 else { return .failure(.badRequest("chunk size overflows")) }
                size = size << 4 | digit
                index += 1
            }
            guard index > line.start else { return .failure(.badRequest("invalid chunk size")) }
            // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ): tolerated, not interpreted.
            while index < line.end, bytes[index] == HTTPGrammar.space || bytes[index] == HTTPGrammar.tab { index += 1 }
            guard index == line.end || bytes[index] == HTTPGrammar.semicolon else {
                return .failure(.badRequest("invalid chunk size"))
            }
            for position in index..<line.end where !HTTPGrammar.isFieldValueByte(bytes[position]) {
                return .failure(
                    .badRequest(
                        bytes[position] == HTTPGrammar.cr
                            ? "bare CR in chunk extension" : "control character in chunk extension"))
            }
            return .success(size)
        }
        switch parsed {
        case .failure(let error):
            return fail(error)
        case .success(0):
            state = .trailers
        case .success(let size):
            guard size <= limits.maxBodyBytes - body.count else { return fail(.bodyTooLarge) }
            state = .chunkData(remaining: size)
        }
        return nil
    }

    /// Reads one trailer line and discards it; the empty line ends the request.
    private mutating func parseTrailerLine() -> Event? {
        guard let line = nextLine(maxLength: min(limits.maxHeaderFieldLength, limits.maxHeaderBytes)) else {
            let pending = buffer.count - readIndex
            if pending > limits.maxHeaderFieldLength + 1 { return fail(.headerFieldTooLong) }
            if headBytes + pending > limits.maxHeaderBytes { return fail(.headerTooLarge) }
            return .needMoreData
        }
        consume(line)
        if line.length == 0 { return completeRequest() }
        headBytes += line.next - line.start
        if line.length > limits.maxHeaderFieldLength { return fail(.headerFieldTooLong) }
        if headBytes > limits.maxHeaderBytes { return fail(.headerTooLarge) }
        fieldCount += 1
        if fieldCount > limits.maxHeaderCount { return fail(.tooManyHeaders) }
        if case .failure(let error) = validateFieldLine(line) { return fail(error) }
        return nil
    }

    // MARK: buffer

    /// Drops consumed bytes when that is cheap relative to what was consumed (amortised linear).
    private mutating func compact() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
            scanIndex = 0
        } else if readIndex >= 4096, readIndex >= buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
    }
}
