import ErrandProtocol

/// The one binary form of a ``TaskRecord``: zigzag varints, little-endian doubles, length-prefixed UTF-8
/// strings, optional values behind a 0/1 tag and tagged `JSONValue` trees. Round-trips every field exactly.
///
/// A record has two parts:
/// - the *key fields* a query filters on: id, owner, target, status and creation time;
/// - the *body*: everything else (kind, arguments, status message, times, progress, outcome, attempt,
///   priority, history, request metadata).
///
/// A store that keeps the key fields elsewhere (the SQLite store has a column for each) stores only the body,
/// with ``encodeBody(_:into:)`` and ``decodeBody(_:from:id:owner:target:status:createdAt:)``. The in-memory
/// store and the event replay window keep whole records: the key fields first, then the body, so that a query
/// can read them without decoding the rest.
///
/// The body ends with optional tagged fields, each written only when set: `1` the parent task id, `2` the log
/// (last sequence number, then its lines), `3` the open input request (id, request, time asked). Bodies written before these fields existed simply end earlier, and a
/// reader skips nothing it does not know: an unknown tag is malformed (a newer schema version guards the store).
///
/// Decoding is bounds-checked and throws ``TaskRecordDecodingError`` on malformed bytes. Statuses are written
/// as fixed codes, independent of the order of `TaskStatus.allCases`, so the body layout is stable on disk.
public enum TaskRecordCodec {
    /// Appends the body of `task` (every field except id, owner, target, status and creation time) to `bytes`.
    public static func encodeBody(_ task: TaskRecord, into bytes: inout [UInt8]) {
        var writer = RecordWriter(bytes: bytes)
        bytes = []  // Leave the writer the only reference, so appending does not copy.
        writer.body(task)
        bytes = writer.bytes
    }

    /// The task whose body ``encodeBody(_:into:)`` wrote at `bytes[start...]`, with the key fields given.
    /// The body must run to the end of `bytes`.
    /// - Throws: ``TaskRecordDecodingError`` if the body is malformed; its offset counts from the start of `bytes`.
    public static func decodeBody(
        _ bytes: [UInt8], from start: Int, id: TaskID, owner: TaskOwner, target: String, status: TaskStatus,
        createdAt: Int64
    ) throws(TaskRecordDecodingError) -> TaskRecord {
        var reader = RecordReader(bytes, at: start)
        let task = try reader.body(id: id, owner: owner, target: target, status: status, createdAt: createdAt)
        try reader.expectEnd()
        return task
    }
}

/// Bytes that ``TaskRecordCodec`` could not decode.
public struct TaskRecordDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where in the bytes the problem was found.
    public var offset: Int
    /// What was wrong.
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "malformed task record at byte \(offset): \(reason)" }
}

// MARK: - Whole records, for the in-memory store and the replay window

extension TaskRecordCodec {
    /// The key fields of a whole record, which ``header(_:)`` reads without decoding the rest (the id follows them).
    struct Header {
        var owner: TaskOwner
        var target: String
        var status: TaskStatus
        var createdAt: Int64
    }

    /// A whole record: the ``Header`` fields, the id, then the body. Exactly sized.
    static func encode(_ task: TaskRecord) -> [UInt8] {
        var writer = RecordWriter()
        writer.bytes.reserveCapacity(256)
        writer.optionalString(task.owner.principal)
        writer.optionalString(task.owner.team)
        writer.optionalString(task.owner.session)
        writer.string(task.target)
        writer.status(task.status)
        writer.int(task.createdAt)
        writer.string(task.id.rawValue)
        writer.body(task)
        // An exactly sized copy: the writer's buffer has grown in steps and may be up to twice too large.
        return [UInt8](unsafeUninitializedCapacity: writer.bytes.count) { buffer, count in
            count = buffer.initialize(fromContentsOf: writer.bytes)
        }
    }

    /// The record ``encode(_:)`` wrote.
    /// - Throws: ``TaskRecordDecodingError`` if the bytes are malformed.
    static func decode(_ bytes: [UInt8]) throws(TaskRecordDecodingError) -> TaskRecord {
        var reader = RecordReader(bytes, at: 0)
        let header = try reader.header()
        let id = TaskID(try reader.string())
        let task = try reader.body(
            id: id, owner: header.owner, target: header.target, status: header.status, createdAt: header.createdAt)
        try reader.expectEnd()
        return task
    }

    /// The record ``encode(_:)`` wrote in this process, for callers holding such bytes only (the in-memory store,
    /// the replay window): malformed bytes there are a programming error, so this traps instead of throwing.
    static func decode(trusted bytes: [UInt8]) -> TaskRecord {
        do { return try decode(bytes) } catch { preconditionFailure("\(error)") }
    }

    /// The key fields of a record ``encode(_:)`` wrote in this process; traps on malformed bytes, like
    /// ``decode(trusted:)``.
    static func header(trusted bytes: [UInt8]) -> Header {
        var reader = RecordReader(bytes, at: 0)
        do { return try reader.header() } catch { preconditionFailure("\(error)") }
    }
}

// MARK: - Status codes

extension TaskStatus {
    /// Fixed code for the binary form, independent of the order of `allCases`.
    fileprivate var recordCode: UInt8 {
        switch self {
        case .queued: return 0
        case .working: return 1
        case .inputRequired: return 2
        case .completed: return 3
        case .failed: return 4
        case .cancelled: return 5
        }
    }

    fileprivate init?(recordCode: UInt8) {
        switch recordCode {
        case 0: self = .queued
        case 1: self = .working
        case 2: self = .inputRequired
        case 3: self = .completed
        case 4: self = .failed
        case 5: self = .cancelled
        default: return nil
        }
    }
}

// MARK: - Writer

private struct RecordWriter {
    var bytes: [UInt8] = []

    mutating func body(_ task: TaskRecord) {
        string(task.kind.rawValue)
        json(task.arguments)
        optionalString(task.statusMessage)
        int(task.lastUpdatedAt)
        optionalInt(task.ttlMs)
        int(task.pollIntervalMs)
        if let progress = task.progress {
            byte(1)
            double(progress.current)
            optionalDouble(progress.total)
            optionalString(progress.message)
        } else {
            byte(0)
        }
        switch task.outcome {
        case .none: byte(0)
        case .result(let value):
            byte(1)
            json(value)
        case .error(let error):
            byte(2)
            int(Int64(error.code))
            string(error.message)
            optionalJSON(error.data)
        }
        int(Int64(task.attempt))
        int(Int64(task.priority))
        varint(UInt64(task.history.count))
        for entry in task.history {
            int(entry.at)
            status(entry.status)
            optionalString(entry.message)
            int(Int64(entry.attempt))
        }
        optionalJSON(task.requestMeta)
        optionalFields(task)
    }

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

    mutating func status(_ value: TaskStatus) { byte(value.recordCode) }

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

// MARK: - Reader

/// Reads what ``RecordWriter`` wrote. Every read is bounds-checked: malformed bytes throw instead of trapping.
private struct RecordReader {
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

extension RecordWriter {
    /// The optional tagged fields at the end of a body.
    mutating func optionalFields(_ task: TaskRecord) {
        if let parent = task.parent {
            byte(1)
            string(parent.rawValue)
        }
        if let input = task.inputRequest {
            byte(3)
            string(input.id)
            json(input.request)
            int(input.askedAt)
        }
        if !task.log.isEmpty {
            byte(2)
            varint(task.log.lastSequence)
            varint(UInt64(task.log.lines.count))
            for line in task.log.lines {
                varint(line.sequence)
                int(line.at)
                byte(UInt8(line.level.severity))
                string(line.text)
            }
        }
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
