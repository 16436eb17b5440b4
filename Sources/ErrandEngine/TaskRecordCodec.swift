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
    var recordCode: UInt8 {
        switch self {
        case .queued: return 0
        case .working: return 1
        case .inputRequired: return 2
        case .completed: return 3
        case .failed: return 4
        case .cancelled: return 5
        }
    }

    init?(recordCode: UInt8) {
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
