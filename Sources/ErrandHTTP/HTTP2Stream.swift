/// One HTTP/2 stream as ``HTTP2ConnectionHandler`` sees it: the request being received, then the response
/// being sent. Kept by stream id on the connection's queue and never shared (not `Sendable`).
final class HTTP2Stream {
    let id: Int32
    /// `:method`, `:path`, `:authority` as received.
    var method = ""
    var path: String?
    var authority: String?
    /// Regular fields in order; `cookie` fields are kept apart and joined (RFC 9113 §8.2.3).
    var fields: [(name: String, value: String)] = []
    var cookies: [String] = []
    /// Header list size as SETTINGS_MAX_HEADER_LIST_SIZE counts it: name, value and 32 per field.
    var headerListSize = 0
    var fieldCount = 0
    var body: [UInt8] = []
    /// Body bytes counted against the connection's budget and not yet given back to its window.
    var heldBodyBytes = 0
    /// The body budget can hold this request's whole body: its window is open (see the body budget).
    var admitted = false
    /// The request's `content-length`, if it sent one.
    var declaredBodyBytes: Int?
    /// The client has ended its side (END_STREAM received).
    var requestComplete = false
    /// A status to answer with instead of calling the responder (413, 431, 400).
    var rejection: HTTPParseError?
    /// A response has been submitted.
    var responded = false
    /// The response was sent while the client was still sending: end the stream with `RST_STREAM
    /// NO_ERROR` once it is out, so the client stops (RFC 9113 §8.1).
    var resetAfterResponse = false
    /// The responder's deferred work, cancelled if the stream goes away first.
    var task: Task<Void, Never>?

    /// A sized body being sent; `responseOffset` bytes of it are out.
    var responseBody: [UInt8] = []
    var responseOffset = 0
    /// An event stream being sent: encoded events taken from it but not yet framed.
    var events: EventStreamWriter?
    var eventBytes: [UInt8] = []
    var eventOffset = 0
    /// The data provider returned `NGHTTP2_ERR_DEFERRED`; resume it when more is queued.
    var dataDeferred = false

    init(id: Int32) { self.id = id }

    var isHEAD: Bool { method == "HEAD" }

    /// Records one received field; `false` once the list is over `maxSize` bytes or `maxCount` fields.
    func addField(name: String, value: String, maxSize: Int, maxCount: Int) -> Bool {
        headerListSize += name.utf8.count + value.utf8.count + 32
        fieldCount += 1
        guard headerListSize <= maxSize, fieldCount <= maxCount else { return false }
        switch name {
        case ":method": method = value
        case ":path": path = value
        case ":authority": authority = value
        case ":scheme", ":protocol": break
        case "cookie": cookies.append(value)
        default: fields.append((name: name, value: value))
        }
        return true
    }

    /// The request as a ``HTTPResponder`` sees it: `:authority` becomes `Host` unless one was sent.
    func request(remoteAddress: String) -> HTTPRequest {
        var headers = HTTPHeaders()
        if let authority, !fields.contains(where: { $0.name == "host" }) { headers.add("Host", authority) }
        for field in fields { headers.add(field.name, field.value) }
        if !cookies.isEmpty { headers.add("cookie", cookies.joined(separator: "; ")) }
        return HTTPRequest(
            method: method, target: path ?? "", version: "HTTP/2", headers: headers, body: body,
            remoteAddress: remoteAddress)
    }
}
