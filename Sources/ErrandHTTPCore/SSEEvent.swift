/// One Server-Sent Event. `data` may span lines: it is written as one `data:` line per line.
///
/// The wire form (``encoded``) is made once, when the event is made or changed, so an event sent to many
/// streams is encoded once and its bytes are shared (copy-on-write) by every stream that queues it.
public struct SSEEvent: Sendable, Hashable {
    public var id: String? { didSet { encoded = Self.encode(id: id, event: event, data: data, retry: retry) } }
    public var event: String? { didSet { encoded = Self.encode(id: id, event: event, data: data, retry: retry) } }
    public var data: String { didSet { encoded = Self.encode(id: id, event: event, data: data, retry: retry) } }
    /// Reconnection delay in milliseconds for the client (`retry:`).
    public var retry: Int? { didSet { encoded = Self.encode(id: id, event: event, data: data, retry: retry) } }
    /// The wire form, ending with the blank line that dispatches the event.
    public private(set) var encoded: [UInt8]

    public init(id: String? = nil, event: String? = nil, data: String, retry: Int? = nil) {
        self.id = id
        self.event = event
        self.data = data
        self.retry = retry
        self.encoded = Self.encode(id: id, event: event, data: data, retry: retry)
    }

    private static func encode(id: String?, event: String?, data: String, retry: Int?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.utf8.count + 32)
        if let id { field("id", id, into: &out) }
        if let event { field("event", event, into: &out) }
        if let retry { field("retry", String(retry), into: &out) }
        // Split on CRLF, CR and LF alike so a payload can never inject fields or end the event early.
        var data = data
        data.withUTF8 { bytes in
            var lineStart = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x0A || byte == 0x0D {
                    Self.dataLine(UnsafeBufferPointer(rebasing: bytes[lineStart..<index]), into: &out)
                    if byte == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
                    lineStart = index + 1
                }
                index += 1
            }
            Self.dataLine(UnsafeBufferPointer(rebasing: bytes[lineStart..<bytes.count]), into: &out)
        }
        out.append(0x0A)
        return out
    }

    /// A comment line (`: text`), used for keep-alives; clients ignore it.
    public static func comment(_ text: String) -> [UInt8] {
        Array(": \(text.filter { $0 != "\n" && $0 != "\r" })\n\n".utf8)
    }

    private static func dataLine(_ line: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        if line.isEmpty {
            out.append(contentsOf: "data:\n".utf8)
        } else {
            out.append(contentsOf: "data: ".utf8)
            out.append(contentsOf: line)
            out.append(0x0A)
        }
    }

    private static func field(_ name: String, _ value: String, into out: inout [UInt8]) {
        fieldBytes(name, Array(value.utf8.filter { $0 != 0x0A && $0 != 0x0D }), into: &out)
    }

    private static func fieldBytes(_ name: String, _ value: [UInt8], into out: inout [UInt8]) {
        out.append(contentsOf: name.utf8)
        if value.isEmpty {
            out.append(UInt8(ascii: ":"))
        } else {
            out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            out.append(contentsOf: value)
        }
        out.append(0x0A)
    }
}
