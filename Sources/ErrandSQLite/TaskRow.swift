import ErrandEngine
import Foundation
import GRDB

/// One task as the `task` table keeps it: the columns queries filter and sort on, plus the rest of the record
/// in the `record` BLOB (see ``TaskRow/encodeBody(_:)``).
///
/// Encoding and building the bound values happen on the caller's thread, before the row joins a group commit,
/// so the writer's transaction (the one serial part of every write) only binds and steps.
struct TaskRow: Sendable {
    /// The task id, for error messages.
    var id: String
    /// The bound values, in ``TaskRow/columns`` order.
    var arguments: StatementArguments

    init(_ task: TaskRecord) {
        id = task.id.rawValue
        // `DatabaseValue`s, not the Swift values: converting them is work the writer would otherwise do.
        let parent: DatabaseValue = task.parent?.rawValue.databaseValue ?? .null
        let values: [DatabaseValue] = [
            id.databaseValue, task.createdAt.databaseValue, task.status.rawValue.databaseValue,
            task.owner.principal.databaseValue, task.owner.team.databaseValue, task.owner.session.databaseValue,
            task.target.databaseValue, task.expiresAt.databaseValue, Data(Self.encodeBody(task)).databaseValue, parent,
        ]
        arguments = StatementArguments(values)
    }

    /// Column names in the order of ``arguments`` and of every `SELECT` this store runs.
    static let columns = "id, created_at, status, principal, team, session, target, expires_at, record, parent"

    /// Version of the BLOB layout, its first byte. A reader refuses versions it does not know.
    static let bodyFormat: UInt8 = 1

    /// The BLOB: ``bodyFormat``, then the shared ``TaskRecordCodec`` body (every field that has no column: kind,
    /// arguments, status message, times, progress, outcome, attempt, priority, history, request metadata).
    static func encodeBody(_ task: TaskRecord) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        bytes.append(bodyFormat)
        TaskRecordCodec.encodeBody(task, into: &bytes)
        return bytes
    }

    /// The task in a row selected with ``columns``.
    /// - Throws: ``SQLiteTaskStoreError`` `.corruptRecord` if a column has the wrong type or the BLOB is malformed.
    static func decode(_ row: Row) throws(SQLiteTaskStoreError) -> TaskRecord {
        guard let id = String.fromDatabaseValue(row[0]) else { throw .corruptRecord(id: "?", reason: "id is not text") }
        do throws(TaskRecordDecodingError) {
            guard let createdAt = Int64.fromDatabaseValue(row[1]),
                let statusText = String.fromDatabaseValue(row[2]), let status = TaskStatus(rawValue: statusText),
                let target = String.fromDatabaseValue(row[6]), let body = Data.fromDatabaseValue(row[8])
            else { throw TaskRecordDecodingError(offset: 0, reason: "a column is missing or has the wrong type") }
            let owner = TaskOwner(
                principal: String.fromDatabaseValue(row[3]), team: String.fromDatabaseValue(row[4]),
                session: String.fromDatabaseValue(row[5]))
            return try decodeBody(
                [UInt8](body), id: TaskID(id), owner: owner, target: target, status: status, createdAt: createdAt)
        } catch {
            throw .corruptRecord(id: id, reason: error.description)
        }
    }

    /// Checks ``bodyFormat``, then decodes the rest with ``TaskRecordCodec``.
    private static func decodeBody(
        _ bytes: [UInt8], id: TaskID, owner: TaskOwner, target: String, status: TaskStatus, createdAt: Int64
    ) throws(TaskRecordDecodingError) -> TaskRecord {
        guard let format = bytes.first else {
            throw TaskRecordDecodingError(offset: 0, reason: "unexpected end of record")
        }
        guard format == bodyFormat else {
            throw TaskRecordDecodingError(offset: 0, reason: "unknown record format \(format)")
        }
        return try TaskRecordCodec.decodeBody(
            bytes, from: 1, id: id, owner: owner, target: target, status: status, createdAt: createdAt)
    }
}
