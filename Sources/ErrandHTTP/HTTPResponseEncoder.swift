/// Writes response heads and chunk framing as bytes. Pure; the connection handler decides what to send.
enum HTTPResponseEncoder {
    /// How the body after the head is delimited.
    enum Framing {
        /// `Content-Length: n` (also sent for HEAD, which then has no body).
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
        /// No length: the body ends when the connection closes (HTTP/1.0 event streams).
        case closeDelimited
        /// 1xx, 204 and 304: no body and no length.
        case noBody
    }

    /// What the `Connection` header says.
    enum Persistence {
        /// Nothing: HTTP/1.1 defaults to keep-alive.
        case keepAliveDefault
        /// `Connection: keep-alive`, for HTTP/1.0 clients that asked for it.
        case keepAliveExplicit
        /// `Connection: close`.
        case close
    }

    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// Whether `status` may carry a body (RFC 9110 §6.4.1).
    static func allowsBody(_ status: Int) -> Bool {
        !(100..<200).contains(status) && status != 204 && status != 304
    }

    /// Appends `HTTP/1.1 <status> <reason>`, the responder's fields (framing and connection fields it set
    /// are dropped: the server owns them), then `Content-Length`/`Transfer-Encoding`, `Date`, `Server`,
    /// `Connection` and the blank line.
    static func writeHead(
        status: Int, headers: HTTPHeaders, framing: Framing, persistence: Persistence, date: [UInt8],
        into out: inout [UInt8]
    ) {
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        let code = min(max(status, 100), 999)
        out.append(UInt8(ascii: "0") + UInt8(code / 100))
        out.append(UInt8(ascii: "0") + UInt8(code / 10 % 10))
        out.append(UInt8(ascii: "0") + UInt8(code % 10))
        out.append(HTTPGrammar.space)
        out.append(contentsOf: reasonPhrase(code).utf8)
        out.append(contentsOf: "\r\n".utf8)
        var hasServer = false
        var hasDate = false
        for (name, value) in headers.fields {
            switch name.utf8.count {
            case 4 where name.equalsIgnoringASCIICase("date"):
                hasDate = true
            case 6 where name.equalsIgnoringASCIICase("server"):
                hasServer = true
            case 10 where name.equalsIgnoringASCIICase("connection"),
                14 where name.equalsIgnoringASCIICase("content-length"),
                17 where name.equalsIgnoringASCIICase("transfer-encoding"):
                continue
            default:
                break
            }
            appendSanitised(name, into: &out)
            out.append(contentsOf: ": ".utf8)
            appendSanitised(value, into: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        switch framing {
        case .length(let length):
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(length, into: &out)
            out.append(contentsOf: "\r\n".utf8)
        case .chunked:
            out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        case .closeDelimited, .noBody:
            break
        }
        if !hasDate {
            out.append(contentsOf: "Date: ".utf8)
            out.append(contentsOf: date)
            out.append(contentsOf: "\r\n".utf8)
        }
        if !hasServer { out.append(contentsOf: "Server: errand\r\n".utf8) }
        switch persistence {
        case .keepAliveDefault: break
        case .keepAliveExplicit: out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        case .close: out.append(contentsOf: "Connection: close\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
    }

    /// Appends one chunk (`size CRLF data CRLF`); nothing for empty data, which would end the body.
    static func writeChunk(_ data: [UInt8], into out: inout [UInt8]) {
        guard !data.isEmpty else { return }
        appendHex(data.count, into: &out)
        out.append(contentsOf: "\r\n".utf8)
        out.append(contentsOf: data)
        out.append(contentsOf: "\r\n".utf8)
    }

    /// Copies `text`, replacing CR, LF and NUL with a space so that a responder can never split a response.
    private static func appendSanitised(_ text: String, into out: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            if !bytes.contains(where: { $0 == HTTPGrammar.cr || $0 == HTTPGrammar.lf || $0 == 0 }) {
                out.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                out.append(byte == HTTPGrammar.cr || byte == HTTPGrammar.lf || byte == 0 ? HTTPGrammar.space : byte)
            }
        }
    }

    static func appendDecimal(_ value: Int, into out: inout [UInt8]) {
        guard value > 0 else {
            out.append(UInt8(ascii: "0"))
            return
        }
        var digits: [UInt8] = []
        var rest = value
        while rest > 0 {
            digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        }
        out.append(contentsOf: digits.reversed())
    }

    static func appendHex(_ value: Int, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        var shift = (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 * 4 - 4
        if shift < 0 { shift = 0 }
        while shift >= 0 {
            out.append(hex[(value >> shift) & 0xF])
            shift -= 4
        }
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 101: "Switching Protocols"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }
}
