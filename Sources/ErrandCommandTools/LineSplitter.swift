/// Splits a byte stream into lines with bounded memory: a line longer than `maxLineBytes` is cut there, marked,
/// and the rest of it up to the next newline is dropped.
struct LineSplitter {
    /// A finished line, without its newline.
    struct Line: Equatable {
        var text: String
        /// Whether a newline ended it (false only for a last line at end of stream).
        var terminated: Bool
        /// Whether it was cut at `maxLineBytes`.
        var truncated: Bool
    }

    static let truncationMarker = " [line truncated]"

    private let maxLineBytes: Int
    private var pending: [UInt8] = []
    private var discarding = false

    init(maxLineBytes: Int) {
        self.maxLineBytes = max(1, maxLineBytes)
    }

    /// Feeds bytes; returns the lines they complete.
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> [Line] {
        var lines: [Line] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if discarding {
                    discarding = false
                } else {
                    lines.append(Line(text: decode(), terminated: true, truncated: false))
                }
                pending.removeAll(keepingCapacity: true)
            } else if !discarding {
                pending.append(byte)
                if pending.count >= maxLineBytes {
                    lines.append(Line(text: decode() + Self.truncationMarker, terminated: true, truncated: true))
                    pending.removeAll(keepingCapacity: true)
                    discarding = true
                }
            }
        }
        return lines
    }

    /// The unterminated last line at end of stream, if any.
    mutating func finish() -> Line? {
        defer { pending.removeAll() }
        guard !pending.isEmpty else { return nil }
        return Line(text: decode(), terminated: false, truncated: false)
    }

    private func decode() -> String {
        var text = String(decoding: pending, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        return text
    }
}
