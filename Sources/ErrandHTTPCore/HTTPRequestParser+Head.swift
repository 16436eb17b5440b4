/// Request line and header fields: RFC 9112 §3 and §5.
extension HTTPRequestParser {
    mutating func parseHeadLine() -> Event? {
        let maxLength = sawRequestLine ? limits.maxHeaderFieldLength : limits.maxRequestLineLength
        guard let line = nextLine(maxLength: maxLength) else {
            // Incomplete line: refuse as soon as it is certain to be over its limit (+1 for a CR). Only the
            // line limit is checked here, so that the outcome never depends on how the input was split;
            // the head total is checked as each line completes (what is buffered stays under
            // maxHeaderBytes plus one line).
            if buffer.count - readIndex > maxLength + 1 {
                return fail(sawRequestLine ? .headerFieldTooLong : .requestLineTooLong)
            }
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

    func string(_ start: Int, _ end: Int) -> String {
        buffer.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self)
        }
    }

    mutating func parseRequestLine(_ line: Line) -> Event? {
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
    static func lineError(
        _ bytes: UnsafeBufferPointer<UInt8>, _ index: Int, _ line: Line, _ what: String
    ) -> HTTPParseError {
        if index < line.end, bytes[index] == HTTPGrammar.cr { return .badRequest("bare CR in request line") }
        return .badRequest("\(what) in request line")
    }

    /// Shares the storage of the common methods instead of building a new string per request.
    static func knownMethod(_ buffer: [UInt8], _ start: Int, _ end: Int) -> String? {
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
    func validateFieldLine(_ line: Line) -> Result<(Int, Int, Int), HTTPParseError> {
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

    mutating func finishHead() -> Event? {
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

    mutating func completeRequest() -> Event {
        let head = pendingHead!
        pendingHead = nil
        let complete = body
        body = []
        state = .head
        headBytes = 0
        fieldCount = 0
        return .request(head, body: complete)
    }

}
