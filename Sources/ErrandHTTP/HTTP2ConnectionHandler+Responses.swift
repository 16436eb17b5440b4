import CNghttp2
import Logging

/// Sending responses: an ``HTTPResponse`` becomes a HEADERS frame and, for a body, DATA frames pulled by
/// an nghttp2 data provider (so each stream's flow-control window decides how fast it goes).
extension HTTP2ConnectionHandler {
    /// Fields HTTP/2 forbids (RFC 9113 §8.2.2) or that the server sets itself.
    private static let droppedFields: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "content-length",
    ]

    /// Submits `response` on `stream`; an event-stream body starts pulling events.
    func respond(_ stream: HTTP2Stream, with response: HTTPResponse) {
        guard let session, !stream.responded else {
            if case .eventStream(let events) = response.body { events.cancel() }
            return
        }
        stream.responded = true
        var fields: [(String, String)] = []
        fields.reserveCapacity(response.headers.count + 4)
        let status = min(max(response.status, 200), 999)
        fields.append((":status", String(status)))
        var hasDate = false
        var hasServer = false
        for (name, value) in response.headers.fields {
            let lower = name.lowercased()
            if Self.droppedFields.contains(lower) { continue }
            if lower == "date" { hasDate = true }
            if lower == "server" { hasServer = true }
            fields.append((lower, value))
        }
        if !hasDate { fields.append(("date", String(decoding: date(), as: UTF8.self))) }
        if !hasServer { fields.append(("server", "errand")) }

        var hasBody = false
        switch response.body {
        case .bytes(let body):
            let allowsBody = HTTPResponseEncoder.allowsBody(status)
            if allowsBody { fields.append(("content-length", String(body.count))) }
            if allowsBody, !stream.isHEAD, !body.isEmpty {
                stream.responseBody = body
                hasBody = true
            }
        case .eventStream(let events):
            if stream.isHEAD {
                events.cancel()
            } else {
                // The request behind an event stream is done with: its body stops counting.
                releaseBody(of: stream)
                startEventStream(events, on: stream)
                hasBody = true
            }
        }
        let result = Self.withNameValues(fields) { nameValues, count in
            if hasBody {
                var provider = nghttp2_data_provider(
                    source: nghttp2_data_source(ptr: nil),
                    read_callback: { _, streamID, buffer, length, flags, _, userData in
                        guard let buffer, let flags, let userData else {
                            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
                        }
                        let handler = Unmanaged<HTTP2ConnectionHandler>.fromOpaque(userData).takeUnretainedValue()
                        return handler.readBody(
                            streamID, into: UnsafeMutableBufferPointer(start: buffer, count: length), flags: flags)
                    })
                return nghttp2_submit_response(session, stream.id, nameValues, count, &provider)
            }
            return nghttp2_submit_response(session, stream.id, nameValues, count, nil)
        }
        if result != 0 {
            logger.debug(
                "Could not submit an HTTP/2 response",
                metadata: ["stream": "\(stream.id)", "error": "\(String(cString: nghttp2_strerror(result)))"])
        }
    }

    /// nghttp2 asks for up to `buffer.count` bytes of the stream's body.
    func readBody(
        _ streamID: Int32, into buffer: UnsafeMutableBufferPointer<UInt8>, flags: UnsafeMutablePointer<UInt32>
    )
        -> Int
    {
        guard let stream = streams[streamID] else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        if stream.events != nil { return readEvents(stream, into: buffer, flags: flags) }
        let count = min(buffer.count, stream.responseBody.count - stream.responseOffset)
        stream.responseBody.withUnsafeBufferPointer { body in
            _ = buffer.initialize(from: body[stream.responseOffset..<(stream.responseOffset + count)])
        }
        stream.responseOffset += count
        if stream.responseOffset == stream.responseBody.count {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            stream.responseBody = []
            stream.responseOffset = 0
        }
        return count
    }

    /// Calls `body` with `fields` as an `nghttp2_nv` array (nghttp2 copies them during the call). Names
    /// and values have CR, LF and NUL replaced with a space so a responder cannot corrupt the block.
    static func withNameValues<Result>(
        _ fields: [(String, String)], _ body: (UnsafePointer<nghttp2_nv>, Int) -> Result
    ) -> Result {
        var storage: [UInt8] = []
        var spans: [(name: Int, nameLength: Int, valueLength: Int)] = []
        spans.reserveCapacity(fields.count)
        for (name, value) in fields {
            let start = storage.count
            appendSanitised(name, to: &storage)
            let nameLength = storage.count - start
            appendSanitised(value, to: &storage)
            spans.append((start, nameLength, storage.count - start - nameLength))
        }
        storage.append(0)  // never empty, so the base address exists
        return storage.withUnsafeMutableBufferPointer { bytes in
            let base = bytes.baseAddress!
            let nameValues = spans.map { span in
                nghttp2_nv(
                    name: base + span.name, value: base + span.name + span.nameLength, namelen: span.nameLength,
                    valuelen: span.valueLength, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return nameValues.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }

    private static func appendSanitised(_ text: String, to storage: inout [UInt8]) {
        for byte in text.utf8 { storage.append(byte == 0x0D || byte == 0x0A || byte == 0 ? 0x20 : byte) }
    }
}
