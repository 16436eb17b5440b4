/// One Server-Sent Event as the client reads it.
struct ServerSentEvent: Sendable, Equatable {
    var id: String?
    var event: String?
    var data: String
    /// The `retry` field in milliseconds, when the event carried one.
    var retry: Int?
}

/// An incremental Server-Sent Events reader (WHATWG HTML, "event stream interpretation"): feed it bytes as they
/// arrive, get whole events back. Lines end in LF, CR LF or CR; `:` lines are comments; an event without data
/// is dispatched only when it carries an id or retry (MCP's priming event), so callers see it.
struct ServerSentEventParser {
    let maxEventBytes: Int
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var id: String?
    private var event: String?
    private var retry: Int?
    /// Whether the event being read named an id (the id itself is kept for later events, as SSE says).
    private var eventHasID = false
    private var lastWasCR = false

    init(maxEventBytes: Int) { self.maxEventBytes = maxEventBytes }

    /// The events completed by `bytes`.
    /// - Throws: ``MCPClientError/limitExceeded(_:)`` when one event grows past `maxEventBytes`.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws(MCPClientError) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if lastWasCR {
                lastWasCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                lastWasCR = byte == UInt8(ascii: "\r")
                if let event = endLine() { events.append(event) }
            default:
                line.append(byte)
                if line.count + data.count > maxEventBytes {
                    throw .limitExceeded("a server-sent event is larger than \(maxEventBytes) bytes")
                }
            }
        }
        return events
    }

    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty { return dispatch() }
        if line.first == UInt8(ascii: ":") { return nil }
        let field: [UInt8]
        var value: ArraySlice<UInt8>
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = Array(line[..<colon])
            value = line[(colon + 1)...]
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        } else {
            field = line
            value = []
        }
        switch String(decoding: field, as: UTF8.self) {
        case "data":
            if hasData { data.append(UInt8(ascii: "\n")) }
            data.append(contentsOf: value)
            hasData = true
        case "event": event = String(decoding: value, as: UTF8.self)
        case "id":
            if !value.contains(0) {
                id = String(decoding: value, as: UTF8.self)
                eventHasID = true
            }
        case "retry": retry = Int(String(decoding: value, as: UTF8.self))
        default: break
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            event = nil
            retry = nil
            eventHasID = false
        }
        guard hasData || eventHasID || retry != nil else { return nil }
        return ServerSentEvent(id: id, event: event, data: String(decoding: data, as: UTF8.self), retry: retry)
    }
}
