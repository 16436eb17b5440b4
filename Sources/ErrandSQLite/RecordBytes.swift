import ErrandEngine
import ErrandProtocol

/// Appends the primitives of the `record` BLOB format: zigzag varints, little-endian doubles, length-prefixed
/// UTF-8 strings, optional values behind a 0/1 tag, and tagged ``JSONValue`` trees.
struct RecordByteWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func int(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    mutating func optionalInt(_ value: Int64?) {
        guard let value else { return byte(0) }
        byte(1)
        int(value)
    }

    mutating func double(_ value: Double) {
        var bits = value.bitPattern
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
        }
    }

    mutating func optionalDouble(_ value: Double?) {
        guard let value else { return byte(0) }
        byte(1)
        double(value)
    }

    mutating func string(_ value: String) {
        let utf8 = value.utf8
        varint(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func optionalString(_ value: String?) {
        guard let value else { return byte(0) }
        byte(1)
        string(value)
    }

    mutating func json(_ value: JSONValue) {
        switch value {
        case .null: byte(0)
        case .bool(let flag): byte(flag ? 2 : 1)
        case .int(let number):
            byte(3)
            int(number)
        case .double(let number):
            byte(4)
            double(number)
        case .string(let text):
            byte(5)
            string(text)
        case .array(let elements):
            byte(6)
            varint(UInt64(elements.count))
            for element in elements { json(element) }
        case .object(let members):
            byte(7)
            varint(UInt64(members.count))
            for (key, member) in members {
                string(key)
                json(member)
            }
        }
    }

    mutating func optionalJSON(_ value: JSONValue?) {
        guard let value else { return byte(0) }
        byte(1)
        json(value)
    }
}

/// Reads what ``RecordByteWriter`` wrote. The bytes come from a file, so every read is bounds-checked and a
/// malformed record throws instead of trapping.
struct RecordByteReader {
    private let bytes: [UInt8]
    private var index = 0
    /// JSON nesting allowed before the record counts as malformed (the writer has no limit, a real tree stays far
    /// below this; it bounds recursion on a corrupt file).
    private let maxDepth = 512

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index == bytes.count }

    private func malformed(_ reason: String) -> RecordDecodingError {
        RecordDecodingError(offset: index, reason: reason)
    }

    mutating func byte() throws(RecordDecodingError) -> UInt8 {
        guard index < bytes.count else { throw malformed("unexpected end of record") }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func varint() throws(RecordDecodingError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64 else { throw malformed("varint longer than 64 bits") }
            value |= UInt64(next & 0x7F) << shift
            if next < 0x80 { return value }
            shift += 7
        }
    }

    mutating func int() throws(RecordDecodingError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// An `Int` field; throws if the stored value does not fit.
    mutating func smallInt() throws(RecordDecodingError) -> Int {
        let value = try int()
        guard let small = Int(exactly: value) else { throw malformed("integer out of range") }
        return small
    }

    mutating func flag() throws(RecordDecodingError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        default: throw malformed("bad optional tag")
        }
    }

    mutating func optionalInt() throws(RecordDecodingError) -> Int64? { try flag() ? try int() : nil }

    mutating func double() throws(RecordDecodingError) -> Double {
        guard bytes.count - index >= 8 else { throw malformed("unexpected end of record") }
        var bits: UInt64 = 0
        for offset in 0..<8 { bits |= UInt64(bytes[index + offset]) << UInt64(offset * 8) }
        index += 8
        return Double(bitPattern: bits)
    }

    mutating func optionalDouble() throws(RecordDecodingError) -> Double? { try flag() ? try double() : nil }

    mutating func count() throws(RecordDecodingError) -> Int {
        let count = try varint()
        // Every element takes at least one byte, so a count beyond the bytes left is corrupt.
        guard count <= UInt64(bytes.count - index) else { throw malformed("length beyond the end of the record") }
        return Int(count)
    }

    mutating func string() throws(RecordDecodingError) -> String {
        let count = try count()
        defer { index += count }
        return String(decoding: bytes[index..<index + count], as: UTF8.self)
    }

    mutating func optionalString() throws(RecordDecodingError) -> String? { try flag() ? try string() : nil }

    mutating func json(depth: Int = 0) throws(RecordDecodingError) -> JSONValue {
        guard depth < maxDepth else { throw malformed("JSON nested too deeply") }
        switch try byte() {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3: return .int(try int())
        case 4: return .double(try double())
        case 5: return .string(try string())
        case 6:
            let count = try count()
            var elements: [JSONValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count { elements.append(try json(depth: depth + 1)) }
            return .array(elements)
        case 7:
            let count = try count()
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(count)
            for _ in 0..<count {
                let key = try string()
                members[key] = try json(depth: depth + 1)
            }
            return .object(members)
        default: throw malformed("unknown JSON tag")
        }
    }

    mutating func optionalJSON() throws(RecordDecodingError) -> JSONValue? {
        // Not `flag() ? json() : nil`: JSONValue is ExpressibleByNilLiteral, so that `nil` would be `.null`.
        guard try flag() else { return .none }
        return .some(try json())
    }
}

/// A `record` BLOB that ``RecordByteReader`` could not read.
struct RecordDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    var offset: Int
    var reason: String
    var description: String { "malformed task record at byte \(offset): \(reason)" }
}
