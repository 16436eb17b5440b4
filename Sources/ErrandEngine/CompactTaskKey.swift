/// A task id as a hash key in 16 bytes when it is a canonical lowercase UUID (every id the engine makes),
/// else as its text. Orders like the id's UTF-8 bytes.
struct CompactTaskKey: Hashable, Comparable {
    private enum Storage: Hashable {
        case uuid(high: UInt64, low: UInt64)
        case text(String)
    }

    private let storage: Storage

    init(_ id: TaskID) {
        storage = Self.parseUUID(id.rawValue).map { .uuid(high: $0.0, low: $0.1) } ?? .text(id.rawValue)
    }

    var id: TaskID {
        switch storage {
        case .uuid(let high, let low): return TaskID(uuidHigh: high, low: low)
        case .text(let text): return TaskID(text)
        }
    }

    static func < (lhs: CompactTaskKey, rhs: CompactTaskKey) -> Bool {
        if case .uuid(let leftHigh, let leftLow) = lhs.storage, case .uuid(let rightHigh, let rightLow) = rhs.storage {
            return (leftHigh, leftLow) < (rightHigh, rightLow)
        }
        return lhs.id.rawValue.utf8.lexicographicallyPrecedes(rhs.id.rawValue.utf8)
    }

    /// The 128 bits of `text` if it is exactly `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lowercase hex.
    private static func parseUUID(_ text: String) -> (UInt64, UInt64)? {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var nibbles = 0
        var position = 0
        for byte in text.utf8 {
            defer { position += 1 }
            if position == 8 || position == 13 || position == 18 || position == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            let value: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            if nibbles < 16 { high = high << 4 | UInt64(value) } else { low = low << 4 | UInt64(value) }
            nibbles += 1
        }
        guard position == 36, nibbles == 32 else { return nil }
        return (high, low)
    }
}
