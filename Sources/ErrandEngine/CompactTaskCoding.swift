import ErrandProtocol

/// A compact, exact binary form of a ``TaskRecord`` for in-memory storage: one byte array per task instead
/// of a tree of dictionaries, arrays and strings. Round-trips every field exactly (`JSONValue` cases included).
///
/// Layout: the fields a query filters on come first (owner, target, status, createdAt), so that
/// ``CompactTaskCoding/header(_:)`` can read them without decoding the rest.
enum CompactTaskCoding {
    struct Header {
        var owner: TaskOwner
        var target: String
        var status: TaskStatus
        var createdAt: Int64
    }

    static func encode(_ task: TaskRecord) -> [UInt8] {
        var writer = CompactWriter()
        writer.bytes.reserveCapacity(256)
        writer.optionalString(task.owner.principal)
        writer.optionalString(task.owner.team)
        writer.optionalString(task.owner.session)
        writer.string(task.target)
        writer.status(task.status)
        writer.int(task.createdAt)
        writer.string(task.id.rawValue)
        writer.string(task.kind.rawValue)
        writer.json(task.arguments)
        writer.optionalString(task.statusMessage)
        writer.int(task.lastUpdatedAt)
        writer.optionalInt(task.ttlMs)
        writer.int(task.pollIntervalMs)
        if let progress = task.progress {
            writer.byte(1)
            writer.double(progress.current)
            writer.optionalDouble(progress.total)
            writer.optionalString(progress.message)
        } else {
            writer.byte(0)
        }
        switch task.outcome {
        case .none: writer.byte(0)
        case .result(let value):
            writer.byte(1)
            writer.json(value)
        case .error(let error):
            writer.byte(2)
            writer.int(Int64(error.code))
            writer.string(error.message)
            writer.optionalJSON(error.data)
        }
        writer.int(Int64(task.attempt))
        writer.int(Int64(task.priority))
        writer.int(Int64(task.history.count))
        for entry in task.history {
            writer.int(entry.at)
            writer.status(entry.status)
            writer.optionalString(entry.message)
            writer.int(Int64(entry.attempt))
        }
        writer.optionalJSON(task.requestMeta)
        // An exactly sized copy: the writer's buffer has grown in steps and may be up to twice too large.
        return [UInt8](unsafeUninitializedCapacity: writer.bytes.count) { buffer, count in
            count = buffer.initialize(fromContentsOf: writer.bytes)
        }
    }

    static func header(_ bytes: [UInt8]) -> Header {
        var reader = CompactReader(bytes: bytes)
        return reader.header()
    }

    static func decode(_ bytes: [UInt8]) -> TaskRecord {
        var reader = CompactReader(bytes: bytes)
        let header = reader.header()
        let id = TaskID(reader.string())
        let kind = TaskKind(rawValue: reader.string()) ?? .toolCall
        let arguments = reader.json()
        let statusMessage = reader.optionalString()
        let lastUpdatedAt = reader.int()
        let ttl = reader.optionalInt()
        let pollInterval = reader.int()
        var progress: TaskProgress?
        if reader.byte() == 1 {
            progress = TaskProgress(
                current: reader.double(), total: reader.optionalDouble(), message: reader.optionalString())
        }
        var outcome: TaskOutcome?
        switch reader.byte() {
        case 1: outcome = .result(reader.json())
        case 2:
            outcome = .error(
                JSONRPCError(code: Int(reader.int()), message: reader.string(), data: reader.optionalJSON()))
        default: outcome = nil
        }
        let attempt = Int(reader.int())
        let priority = Int(reader.int())
        let historyCount = Int(reader.int())
        var history: [TaskHistoryEntry] = []
        history.reserveCapacity(historyCount)
        for _ in 0..<historyCount {
            history.append(
                TaskHistoryEntry(
                    at: reader.int(), status: reader.status(), message: reader.optionalString(),
                    attempt: Int(reader.int())))
        }
        return TaskRecord(
            id: id, owner: header.owner, kind: kind, target: header.target, arguments: arguments,
            status: header.status, statusMessage: statusMessage, createdAt: header.createdAt,
            lastUpdatedAt: lastUpdatedAt, ttlMs: ttl, pollIntervalMs: pollInterval, progress: progress,
            outcome: outcome, attempt: attempt, priority: priority, history: history,
            requestMeta: reader.optionalJSON())
    }
}

private struct CompactWriter {
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

    /// Zigzag, so small negative numbers stay short.
    mutating func int(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    mutating func optionalInt(_ value: Int64?) {
        guard let value else { return byte(0) }
        byte(1)
        int(value)
    }

    mutating func double(_ value: Double) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func optionalDouble(_ value: Double?) {
        guard let value else { return byte(0) }
        byte(1)
        double(value)
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func optionalString(_ value: String?) {
        guard let value else { return byte(0) }
        byte(1)
        string(value)
    }

    mutating func status(_ value: TaskStatus) { byte(UInt8(TaskStatus.allCases.firstIndex(of: value)!)) }

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

/// Reads what ``CompactWriter`` wrote. The bytes come from this process only, so they are trusted.
private struct CompactReader {
    let bytes: [UInt8]
    var index = 0

    mutating func header() -> CompactTaskCoding.Header {
        let owner = TaskOwner(principal: optionalString(), team: optionalString(), session: optionalString())
        return CompactTaskCoding.Header(owner: owner, target: string(), status: status(), createdAt: int())
    }

    mutating func byte() -> UInt8 {
        defer { index += 1 }
        return bytes[index]
    }

    mutating func varint() -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = byte()
            value |= UInt64(next & 0x7F) << shift
            if next < 0x80 { return value }
            shift += 7
        }
    }

    mutating func int() -> Int64 {
        let raw = varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func optionalInt() -> Int64? { byte() == 0 ? nil : int() }

    mutating func double() -> Double {
        var bits: UInt64 = 0
        for offset in 0..<8 { bits |= UInt64(bytes[index + offset]) << UInt64(offset * 8) }
        index += 8
        return Double(bitPattern: bits)
    }

    mutating func optionalDouble() -> Double? { byte() == 0 ? nil : double() }

    mutating func string() -> String {
        let count = Int(varint())
        defer { index += count }
        return bytes.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[index..<index + count]), as: UTF8.self)
        }
    }

    mutating func optionalString() -> String? { byte() == 0 ? nil : string() }

    mutating func status() -> TaskStatus { TaskStatus.allCases[Int(byte())] }

    mutating func json() -> JSONValue {
        switch byte() {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3: return .int(int())
        case 4: return .double(double())
        case 5: return .string(string())
        case 6:
            let count = Int(varint())
            var elements: [JSONValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count { elements.append(json()) }
            return .array(elements)
        default:
            let count = Int(varint())
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(count)
            for _ in 0..<count {
                let key = string()
                members[key] = json()
            }
            return .object(members)
        }
    }

    mutating func optionalJSON() -> JSONValue? {
        // Not `byte() == 0 ? nil : json()`: JSONValue is ExpressibleByNilLiteral, so that `nil` would be `.null`.
        guard byte() != 0 else { return .none }
        return .some(json())
    }
}
