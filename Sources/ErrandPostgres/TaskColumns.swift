import ErrandEngine
import PostgresNIO

/// How a ``TaskRecord`` maps onto an `errand_tasks` row: the key fields as columns, everything else in `record`
/// (a format byte, then the shared ``TaskRecordCodec`` body).
///
/// A claim does not rewrite `record`: it sets status `working`, the next `attempt` and `started_at` (the claim
/// time) in the columns, in one statement. While `started_at` is set, the task is the stored body (as it was,
/// `queued`) with ``TaskRecord/startingNextAttempt(at:)`` applied at `started_at` — exactly what the claim hands
/// the node. Every statement that writes `record` clears `started_at`.
enum TaskColumns {
    /// The columns every `SELECT` of whole tasks reads, in the order ``decode(_:)`` expects.
    static let select = "id, status, principal, team, session, target, created_at, record, started_at"

    /// ``select`` with each column qualified by the table alias `t` (for `UPDATE … AS t … FROM … RETURNING`).
    static let qualifiedSelect = select.split(separator: ", ").map { "t." + $0 }.joined(separator: ", ")

    /// How many columns ``select`` names.
    static let count = 9

    /// Version of the `record` layout, its first byte. A reader refuses versions it does not know.
    static let bodyFormat: UInt8 = 1

    /// The `record` column of `task`.
    static func body(_ task: TaskRecord) -> ByteBuffer {
        var bytes: [UInt8] = [bodyFormat]
        bytes.reserveCapacity(128)
        TaskRecordCodec.encodeBody(task, into: &bytes)
        return ByteBuffer(bytes: bytes)
    }

    /// The task in a row selected with ``select`` (extra columns after them are ignored).
    /// - Throws: ``PostgresClusterStoreError/corruptRecord(id:reason:)`` if a column or the body is malformed.
    static func decode(_ row: PostgresRow) throws(PostgresClusterStoreError) -> TaskRecord {
        let cells = row.makeRandomAccess()
        let id: String
        do { id = try cells[0].decode(String.self) } catch {
            throw .corruptRecord(id: "?", reason: "id is not text")
        }
        do {
            let statusText = try cells[1].decode(String.self)
            guard let status = TaskStatus(rawValue: statusText) else {
                throw PostgresClusterStoreError.corruptRecord(id: id, reason: "unknown status '\(statusText)'")
            }
            let owner = TaskOwner(
                principal: try cells[2].decode(String?.self), team: try cells[3].decode(String?.self),
                session: try cells[4].decode(String?.self))
            let target = try cells[5].decode(String.self)
            let createdAt = try cells[6].decode(Int64.self)
            let buffer = try cells[7].decode(ByteBuffer.self)
            let bytes = Array(buffer.readableBytesView)
            guard bytes.first == bodyFormat else {
                throw PostgresClusterStoreError.corruptRecord(id: id, reason: "unknown record format")
            }
            guard let startedAt = try cells[8].decode(Int64?.self) else {
                return try TaskRecordCodec.decodeBody(
                    bytes, from: 1, id: TaskID(id), owner: owner, target: target, status: status,
                    createdAt: createdAt)
            }
            // Claimed, and the attempt has not written yet: the body is the task as it was queued.
            let queued = try TaskRecordCodec.decodeBody(
                bytes, from: 1, id: TaskID(id), owner: owner, target: target, status: .queued, createdAt: createdAt)
            guard status == .working, let started = queued.startingNextAttempt(at: startedAt) else {
                throw PostgresClusterStoreError.corruptRecord(
                    id: id, reason: "started_at is set on a task in status '\(status.rawValue)'")
            }
            return started
        } catch let error as PostgresClusterStoreError {
            throw error
        } catch let error as TaskRecordDecodingError {
            throw .corruptRecord(id: id, reason: error.description)
        } catch {
            throw .corruptRecord(id: id, reason: "a column has the wrong type: \(error)")
        }
    }
}
