/// What a complete header section says about the message: body framing, persistence, expectations.
///
/// Rejects the request-smuggling shapes of RFC 9112 §6.1 and §6.3 with a 400: `Content-Length` together
/// with `Transfer-Encoding`, differing `Content-Length` values, a `Content-Length` that is not
/// `1*DIGIT`, a coding list whose final coding is not `chunked` or that applies `chunked` twice, and
/// `Transfer-Encoding` on HTTP/1.0. Codings before a final `chunked` (`gzip, chunked`) are a 501.
struct HTTPRequestFraming {
    var framing: HTTPRequestHead.Framing
    var keepAlive: Bool
    var expectsContinue: Bool

    static func analyse(
        _ headers: HTTPHeaders, version: String, maxBodyBytes: Int
    ) -> Result<HTTPRequestFraming, HTTPParseError> {
        let isHTTP11 = version == "HTTP/1.1"
        var hostCount = 0
        var contentLength: String?
        var codings: [Substring] = []
        var sawTransferEncoding = false
        var close = false
        var keepAliveToken = false
        var expectsContinue = false
        for (name, value) in headers.fields {
            switch name.utf8.count {
            case 4 where name.equalsIgnoringASCIICase("host"):
                hostCount += 1
            case 6 where name.equalsIgnoringASCIICase("expect"):
                guard isHTTP11 else { continue }
                guard value.equalsIgnoringASCIICase("100-continue") else { return .failure(.unsupportedExpectation) }
                expectsContinue = true
            case 10 where name.equalsIgnoringASCIICase("connection"):
                for token in value.split(separator: ",") {
                    let token = token.trimmingOWS()
                    if token.equalsIgnoringASCIICase("close") { close = true }
                    if token.equalsIgnoringASCIICase("keep-alive") { keepAliveToken = true }
                }
            case 14 where name.equalsIgnoringASCIICase("content-length"):
                guard HTTPGrammar.decimal(value) != nil else { return .failure(.badRequest("invalid Content-Length")) }
                if let previous = contentLength, previous != value {
                    return .failure(.badRequest("conflicting Content-Length values"))
                }
                contentLength = value
            case 17 where name.equalsIgnoringASCIICase("transfer-encoding"):
                sawTransferEncoding = true
                codings.append(contentsOf: value.split(separator: ",", omittingEmptySubsequences: false))
            default:
                continue
            }
        }
        if isHTTP11 ? hostCount != 1 : hostCount > 1 {
            return .failure(.badRequest(hostCount == 0 ? "missing Host header" : "more than one Host header"))
        }
        let keepAlive = !close && (isHTTP11 || keepAliveToken)
        if sawTransferEncoding {
            if contentLength != nil { return .failure(.badRequest("Content-Length and Transfer-Encoding together")) }
            if !isHTTP11 { return .failure(.badRequest("Transfer-Encoding in an HTTP/1.0 request")) }
            let trimmed = codings.map { $0.trimmingOWS() }
            if trimmed.contains(where: \.isEmpty) { return .failure(.badRequest("malformed Transfer-Encoding")) }
            guard let last = trimmed.last, last.equalsIgnoringASCIICase("chunked") else {
                return .failure(.badRequest("transfer coding other than a final chunked"))
            }
            if trimmed.dropLast().contains(where: { $0.equalsIgnoringASCIICase("chunked") }) {
                return .failure(.badRequest("chunked applied more than once"))
            }
            if let other = trimmed.dropLast().first {
                return .failure(.unsupportedCoding(String(other)))
            }
            return .success(
                HTTPRequestFraming(framing: .chunked, keepAlive: keepAlive, expectsContinue: expectsContinue))
        }
        if let contentLength, let length = HTTPGrammar.decimal(contentLength) {
            if length > maxBodyBytes { return .failure(.bodyTooLarge) }
            return .success(
                HTTPRequestFraming(
                    framing: length == 0 ? .none : .length(length), keepAlive: keepAlive,
                    expectsContinue: expectsContinue))
        }
        return .success(HTTPRequestFraming(framing: .none, keepAlive: keepAlive, expectsContinue: expectsContinue))
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    package func trimmingOWS() -> Substring {
        var result = self
        while let first = result.utf8.first, first == HTTPGrammar.space || first == HTTPGrammar.tab {
            result = result.dropFirst()
        }
        while let last = result.utf8.last, last == HTTPGrammar.space || last == HTTPGrammar.tab {
            result = result.dropLast()
        }
        return result
    }
}
