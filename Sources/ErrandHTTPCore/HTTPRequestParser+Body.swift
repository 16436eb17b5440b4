/// Sized and chunked bodies, chunk extensions and trailers: RFC 9112 §6 and §7.
extension HTTPRequestParser {
    /// Moves up to `count` buffered bytes into the body; returns how many.
    mutating func takeBody(upTo count: Int) -> Int {
        let taken = min(count, buffer.count - readIndex)
        if taken > 0 {
            body.append(contentsOf: buffer[readIndex..<(readIndex + taken)])
            readIndex += taken
            scanIndex = readIndex
        }
        return taken
    }

    mutating func parseChunkSizeLine() -> Event? {
        guard let line = nextLine(maxLength: limits.maxChunkLineLength) else {
            if buffer.count - readIndex > limits.maxChunkLineLength + 1 {
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
    mutating func parseTrailerLine() -> Event? {
        guard let line = nextLine(maxLength: limits.maxHeaderFieldLength) else {
            if buffer.count - readIndex > limits.maxHeaderFieldLength + 1 { return fail(.headerFieldTooLong) }
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

}
