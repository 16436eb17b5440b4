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
package struct HTTPRequestParser: Sendable {
    /// The limits the parser enforces; see ``HTTPServerConfiguration`` for defaults and meanings.
    package struct Limits: Sendable {
        package var maxRequestLineLength: Int
        package var maxHeaderFieldLength: Int
        package var maxHeaderCount: Int
        package var maxHeaderBytes: Int
        package var maxBodyBytes: Int
        /// Longest chunk-size line including extensions. Longer → 400.
        package var maxChunkLineLength = 4096

        package init(_ configuration: HTTPServerConfiguration = HTTPServerConfiguration()) {
            maxRequestLineLength = configuration.maxRequestLineLength
            maxHeaderFieldLength = configuration.maxHeaderFieldLength
            maxHeaderCount = configuration.maxHeaderCount
            maxHeaderBytes = configuration.maxHeaderBytes
            maxBodyBytes = configuration.maxBodyBytes
        }
    }

    package enum Event: Sendable {
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
    package enum Phase: Equatable {
        /// Not a byte of the next request has arrived.
        case idle
        /// Part of a request head has arrived.
        case head
        /// The head is complete and the body is being read.
        case body
        /// Spent by an error or stopped at the HTTP/2 preface.
        case stopped
    }

    enum State {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case stopped
    }

    let limits: Limits
    // The state below is internal only so that the parser's extensions in other files (+Head, +Body)
    // can reach it; nothing outside the parser touches it.
    var state = State.head
    var buffer: [UInt8] = []
    /// Start of the bytes not yet consumed.
    var readIndex = 0
    /// Where the search for the next `LF` resumes; never moves backwards within a line.
    var scanIndex = 0

    // The head being assembled.
    var sawRequestLine = false
    var method = ""
    var target = ""
    var version = ""
    var fields: [(name: String, value: String)] = []
    var headBytes = 0
    var fieldCount = 0

    // The body being assembled.
    var pendingHead: HTTPRequestHead?
    var body: [UInt8] = []

    /// Bytes the line search has examined, over the parser's life: at most the bytes appended, which is
    /// what makes the parser linear. Exposed for tests.
    package private(set) var bytesScanned = 0
    /// Bytes appended over the parser's life (ignored input after an error is not counted).
    package private(set) var bytesAppended = 0

    package init(limits: Limits = Limits()) {
        self.limits = limits
        fields.reserveCapacity(8)
    }

    package var phase: Phase {
        switch state {
        case .head: return sawRequestLine || headBytes > 0 || readIndex < buffer.count ? .head : .idle
        case .stopped: return .stopped
        default: return .body
        }
    }

    /// Bytes received but not yet consumed by ``next()``.
    package var unparsedByteCount: Int { buffer.count - readIndex }

    /// Adds received bytes. Ignored once the parser has stopped.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if case .stopped = state { return }
        compact()
        bytesAppended += bytes.count
        buffer.append(contentsOf: bytes)
    }

    package mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The bytes the parser holds but has not consumed, leaving it empty: for handing the connection to
    /// another protocol handler after ``Event/http2Preface``.
    package mutating func takeUnparsedBytes() -> [UInt8] {
        let rest = Array(buffer[readIndex...])
        buffer.removeAll()
        readIndex = 0
        scanIndex = 0
        return rest
    }

    /// Parses as far as the buffered bytes allow and returns the next event.
    package mutating func next() -> Event {
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
    struct Line {
        var start: Int
        var end: Int
        var next: Int
        var length: Int { end - start }
    }

    /// The next complete line from `readIndex`, searching only bytes not searched before, and no further
    /// than a line of `maxLength` (plus `CRLF`) could reach: a single huge read costs at most one line's
    /// worth of scanning before the limit check refuses it.
    mutating func nextLine(maxLength: Int) -> Line? {
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

    mutating func consume(_ line: Line) {
        readIndex = line.next
        scanIndex = line.next
    }

    mutating func fail(_ error: HTTPParseError) -> Event {
        state = .stopped
        buffer.removeAll()
        readIndex = 0
        scanIndex = 0
        pendingHead = nil
        body = []
        return .error(error)
    }

    // MARK: buffer

    /// Drops consumed bytes when that is cheap relative to what was consumed (amortised linear).
    mutating func compact() {
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
