import ErrandEngine
import ErrandProtocol
import Foundation
import GRDB

/// One task as the `task` table keeps it: the columns queries filter and sort on, plus the rest of the record
/// in the `record` BLOB (see ``TaskRow/encodeBody(_:)``).
///
/// Encoding happens on the caller's thread, before the row joins a group commit, so the writer's transaction only
/// binds values.
struct TaskRow: Sendable {
    var id: String
    var createdAt: Int64
    var status: String
    var principal: String?
    var team: String?
    var session: String?
    var target: String
    var expiresAt: Int64?
    var body: Data

    init(_ task: TaskRecord) {
        id = task.id.rawValue
        createdAt = task.createdAt
        status = task.status.rawValue
        principal = task.owner.principal
        team = task.owner.team
        session = task.owner.session
        target = task.target
        expiresAt = task.expiresAt
        body = Data(Self.encodeBody(task))
    }

    /// The bound values, in ``TaskRow/columns`` order.
    var arguments: StatementArguments {
        [id, createdAt, status, principal, team, session, target, expiresAt, body]
    }

    /// Column names in the order of ``arguments`` and of every `SELECT` this store runs.
    static let columns = "id, created_at, status, principal, team, session, target, expires_at, record"

    /// Version of the BLOB layout, its first byte. A reader refuses versions it does not know.
    static let bodyFormat: UInt8 = 1

    /// The fields that have no column: kind, arguments, status message, times, progress, outcome, attempt,
    /// priority, history, request metadata.
    static func encodeBody(_ task: TaskRecord) -> [UInt8] {
        var writer = RecordByteWriter()
        writer.bytes.reserveCapacity(128)
        writer.byte(bodyFormat)
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
        writer.varint(UInt64(task.history.count))
        for entry in task.history {
            writer.int(entry.at)
            writer.byte(statusCode(entry.status))
            writer.optionalString(entry.message)
            writer.int(Int64(entry.attempt))
        }
        writer.optionalJSON(task.requestMeta)
        return writer.bytes
    }

    /// The task in a row selected with ``columns``.
    /// - Throws: ``SQLiteTaskStoreError`` `.corruptRecord` if a column has the wrong type or the BLOB is malformed.
    static func decode(_ row: Row) throws(SQLiteTaskStoreError) -> TaskRecord {
        guard let id = String.fromDatabaseValue(row[0]) else { throw .corruptRecord(id: "?", reason: "id is not text") }
        do throws(RecordDecodingError) {
            guard let createdAt = Int64.fromDatabaseValue(row[1]),
                let statusText = String.fromDatabaseValue(row[2]), let status = TaskStatus(rawValue: statusText),
                let target = String.fromDatabaseValue(row[6]), let body = Data.fromDatabaseValue(row[8])
            else { throw RecordDecodingError(offset: 0, reason: "a column is missing or has the wrong type") }
            let owner = TaskOwner(
                principal: String.fromDatabaseValue(row[3]), team: String.fromDatabaseValue(row[4]),
                session: String.fromDatabaseValue(row[5]))
            return try decodeBody(
                [UInt8](body), id: TaskID(id), owner: owner, target: target, status: status, createdAt: createdAt)
        } catch {
            throw .corruptRecord(id: id, reason: error.description)
        }
    }

    private static func decodeBody(
        _ bytes: [UInt8], id: TaskID, owner: TaskOwner, target: String, status: TaskStatus, createdAt: Int64
    ) throws(RecordDecodingError) -> TaskRecord {
        var reader = RecordByteReader(bytes)
        let format = try reader.byte()
        guard format == bodyFormat else {
            throw RecordDecodingError(offset: 0, reason: "unknown record format \(format)")
        }
        let kindText = try reader.string()
        guard let kind = TaskKind(rawValue: kindText) else {
            throw RecordDecodingError(offset: 1, reason: "unknown task kind '\(kindText)'")
        }
        let arguments = try reader.json()
        let statusMessage = try reader.optionalString()
        let lastUpdatedAt = try reader.int()
        let ttl = try reader.optionalInt()
        let pollInterval = try reader.int()
        var progress: TaskProgress?
        if try reader.flag() {
            progress = TaskProgress(
                current: try reader.double(), total: try reader.optionalDouble(), message: try reader.optionalString())
        }
        var outcome: TaskOutcome?
        switch try reader.byte() {
        case 0: outcome = nil
        case 1: outcome = .result(try reader.json())
        case 2:
            outcome = .error(
                JSONRPCError(code: try reader.smallInt(), message: try reader.string(), data: try reader.optionalJSON())
            )
        default: throw RecordDecodingError(offset: 0, reason: "unknown outcome tag")
        }
        let attempt = try reader.smallInt()
        let priority = try reader.smallInt()
        let historyCount = try reader.count()
        var history: [TaskHistoryEntry] = []
        history.reserveCapacity(historyCount)
        for _ in 0..<historyCount {
            let at = try reader.int()
            guard let entryStatus = Self.status(code: try reader.byte()) else {
                throw RecordDecodingError(offset: 0, reason: "unknown status code in history")
            }
            history.append(
                TaskHistoryEntry(
                    at: at, status: entryStatus, message: try reader.optionalString(), attempt: try reader.smallInt()))
        }
        let requestMeta = try reader.optionalJSON()
        guard reader.isAtEnd else { throw RecordDecodingError(offset: 0, reason: "trailing bytes") }
        return TaskRecord(
            id: id, owner: owner, kind: kind, target: target, arguments: arguments, status: status,
            statusMessage: statusMessage, createdAt: createdAt, lastUpdatedAt: lastUpdatedAt, ttlMs: ttl,
            pollIntervalMs: pollInterval, progress: progress, outcome: outcome, attempt: attempt, priority: priority,
            history: history, requestMeta: requestMeta)
    }

    /// Fixed codes for statuses inside the BLOB, independent of the order of `TaskStatus.allCases`.
    private static func statusCode(_ status: TaskStatus) -> UInt8 {
        switch status {
        case .queued: return 0
        case .working: return 1
        case .inputRequired: return 2
        case .completed: return 3
        case .failed: return 4
        case .cancelled: return 5
        }
    }

    private static func status(code: UInt8) -> TaskStatus? {
        switch code {
        case 0: return .queued
        case 1: return .working
        case 2: return .inputRequired
        case 3: return .completed
        case 4: return .failed
        case 5: return .cancelled
        default: return nil
        }
    }
}
