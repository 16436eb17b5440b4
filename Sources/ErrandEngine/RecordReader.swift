import ErrandProtocol

/// Reads what ``RecordWriter`` wrote. Every read is bounds-checked: malformed bytes throw instead of trapping.
struct RecordReader {
    private let bytes: [UInt8]
    private var index: Int
    /// JSON nesting allowed before the record counts as malformed (the writer has no limit, a real tree stays far
    /// below this; it bounds recursion on corrupt bytes).
    private let maxDepth = 512

    init(_ bytes: [UInt8], at start: Int) {
        self.bytes = bytes
        self.index = start
    }

    private func malformed(_ reason: String) -> TaskRecordDecodingError {
        TaskRecordDecodingError(offset: index, reason: reason)
    }

    mutating func expectEnd() throws(TaskRecordDecodingError) {
        guard index == bytes.count else { throw malformed("trailing bytes") }
    }

    mutating func header() throws(TaskRecordDecodingError) -> TaskRecordCodec.Header {
        let owner = TaskOwner(
            principal: try optionalString(), team: try optionalString(), session: try optionalString())
        return TaskRecordCodec.Header(owner: owner, target: try string(), status: try status(), createdAt: try int())
    }

    mutating func body(
        id: TaskID, owner: TaskOwner, target: String, status: TaskStatus, createdAt: Int64
    ) throws(TaskRecordDecodingError) -> TaskRecord {
        let kindOffset = index
        let kindText = try string()
        guard let kind = TaskKind(rawValue: kindText) else {
            throw TaskRecordDecodingError(offset: kindOffset, reason: "unknown task kind '\(kindText)'")
        }
        let arguments = try json()
        let statusMessage = try optionalString()
        let lastUpdatedAt = try int()
        let ttl = try optionalInt()
        let pollInterval = try int()
        var progress: TaskProgress?
        if try flag() {
            progress = TaskProgress(current: try double(), total: try optionalDouble(), message: try optionalString())
        }
        var outcome: TaskOutcome?
        switch try byte() {
        case 0: outcome = nil
        case 1: outcome = .result(try json())
        case 2:
            outcome = .error(JSONRPCError(code: try smallInt(), message: try string(), data: try optionalJSON()))
        default: throw malformed("unknown outcome tag")
        }
        let attempt = try smallInt()
        let priority = try smallInt()
        let historyCount = try count()
        var history: [TaskHistoryEntry] = []
        history.reserveCapacity(historyCount)
        for _ in 0..<historyCount {
            history.append(
                TaskHistoryEntry(
                    at: try int(), status: try self.status(), message: try optionalString(), attempt: try smallInt()))
        }
        var record = TaskRecord(
            id: id, owner: owner, kind: kind, target: target, arguments: arguments, status: status,
            statusMessage: statusMessage, createdAt: createdAt, lastUpdatedAt: lastUpdatedAt, ttlMs: ttl,
            pollIntervalMs: pollInterval, progress: progress, outcome: outcome, attempt: attempt, priority: priority,
            history: history, requestMeta: try optionalJSON())
        while index < bytes.count {
            switch try byte() {
            case 1: record.parent = TaskID(try string())
            case 2: record.log = try log()
            case 3:
                record.inputRequest = TaskInputRequest(id: try string(), request: try json(), askedAt: try int())
            default: throw TaskRecordDecodingError(offset: index - 1, reason: "unknown optional field tag")
            }
        }
        return record
    }

    mutating func byte() throws(TaskRecordDecodingError) -> UInt8 {
        guard index < bytes.count else { throw malformed("unexpected end of record") }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func varint() throws(TaskRecordDecodingError) -> UInt64 {
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

    mutating func int() throws(TaskRecordDecodingError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// An `Int` field; throws if the stored value does not fit.
    mutating func smallInt() throws(TaskRecordDecodingError) -> Int {
        let value = try int()
        guard let small = Int(exactly: value) else { throw malformed("integer out of range") }
        return small
    }

    mutating func flag() throws(TaskRecordDecodingError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        default: throw malformed("bad optional tag")
        }
    }

    mutating func optionalInt() throws(TaskRecordDecodingError) -> Int64? { try flag() ? try int() : nil }

    mutating func double() throws(TaskRecordDecodingError) -> Double {
        guard bytes.count - index >= 8 else { throw malformed("unexpected end of record") }
        var bits: UInt64 = 0
        for offset in 0..<8 { bits |= UInt64(bytes[index + offset]) << UInt64(offset * 8) }
        index += 8
        return Double(bitPattern: bits)
    }

    mutating func optionalDouble() throws(TaskRecordDecodingError) -> Double? { try flag() ? try double() : nil }

    mutating func count() throws(TaskRecordDecodingError) -> Int {
        let count = try varint()
        // Every element takes at least one byte, so a count beyond the bytes left is corrupt.
        guard count <= UInt64(bytes.count - index) else { throw malformed("length beyond the end of the record") }
        return Int(count)
    }

    mutating func string() throws(TaskRecordDecodingError) -> String {
        let count = try count()
        defer { index += count }
        return bytes.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[index..<index + count]), as: UTF8.self)
        }
    }

    mutating func optionalString() throws(TaskRecordDecodingError) -> String? { try flag() ? try string() : nil }

    mutating func status() throws(TaskRecordDecodingError) -> TaskStatus {
        guard let status = TaskStatus(recordCode: try byte()) else { throw malformed("unknown status code") }
        return status
    }

    mutating func json(depth: Int = 0) throws(TaskRecordDecodingError) -> JSONValue {
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

    mutating func optionalJSON() throws(TaskRecordDecodingError) -> JSONValue? {
        // Not `flag() ? json() : nil`: JSONValue is ExpressibleByNilLiteral, so that `nil` would be `.null`.
        guard try flag() else { return .none }
        return .some(try json())
    }
}

extension RecordReader {
    mutating func log() throws(TaskRecordDecodingError) -> TaskLog {
        let lastSequence = try varint()
        let count = try count()
        var lines: [TaskLogLine] = []
        lines.reserveCapacity(count)
        for _ in 0..<count {
            let sequence = try varint()
            let at = try int()
            let levelCode = Int(try byte())
            guard levelCode < TaskLogLevel.allCases.count else { throw malformed("unknown log level") }
            lines.append(
                TaskLogLine(sequence: sequence, at: at, level: TaskLogLevel.allCases[levelCode], text: try string()))
        }
        return TaskLog(lines: lines, lastSequence: lastSequence)
    }
}
