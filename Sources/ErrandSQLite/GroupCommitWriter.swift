import ErrandEngine
import GRDB
import Logging
import Synchronization

/// Batches writes into shared transactions: every write that arrives while a transaction is being committed
/// joins the next one, so a burst of N writes costs a handful of commits instead of N.
///
/// A caller's `await` returns only after the transaction holding its write has committed (or failed), so a
/// write the engine acknowledged is in the database file. There is no timer: an idle writer commits a lone write
/// at once, and batches grow by themselves under load while the previous commit runs. One batch holds at most
/// `maxBatchSize` writes.
///
/// If a batch's transaction fails, each of its writes is retried in a transaction of its own, so one bad write
/// (or a write that hits a transient error) fails alone and never takes innocent writes down with it.
final class GroupCommitWriter: Sendable {
    enum Operation: Sendable {
        case insert(TaskRow)
        case update(TaskRow)
        case delete([String])
    }

    private struct Pending {
        var operation: Operation
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var pending: [Pending] = []
        /// Whether a drain task is committing batches; it clears this when it finds nothing to do.
        var committing = false
        var closed = false
        /// Callers of ``close()`` waiting for the drain to end.
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let database: DatabasePool
    private let maxBatchSize: Int
    private let logger: Logger
    private let state = Mutex(State())
    /// Batches and writes committed so far, for tests and statistics.
    private let tally = Mutex((batches: 0, writes: 0))

    init(database: DatabasePool, maxBatchSize: Int, logger: Logger) {
        self.database = database
        self.maxBatchSize = max(1, maxBatchSize)
        self.logger = logger
    }

    /// Commits `operation` together with whatever else is waiting; returns once it is committed.
    /// - Throws: ``SQLiteTaskStoreError/duplicateID(_:)`` for an insert of a stored id, `.closed` after
    ///   ``close()``, or the database error that made its transaction fail.
    func perform(_ operation: Operation) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let startDrain = state.withLock { state -> Bool? in
                guard !state.closed else { return nil }
                state.pending.append(Pending(operation: operation, continuation: continuation))
                guard !state.committing else { return false }
                state.committing = true
                return true
            }
            switch startDrain {
            case .none: continuation.resume(throwing: SQLiteTaskStoreError.closed)
            case .some(true): Task { await self.drain() }
            case .some(false): break
            }
        }
    }

    /// Refuses new writes and returns once every accepted write has been committed or failed.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                state.closed = true
                guard state.committing else { return true }
                state.drainWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// (batches, writes) committed so far.
    var committed: (batches: Int, writes: Int) { tally.withLock { $0 } }

    /// Commits batches until none is waiting.
    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Pending] in
                let count = min(state.pending.count, maxBatchSize)
                defer { state.pending.removeFirst(count) }
                return Array(state.pending.prefix(count))
            }
            if batch.isEmpty {
                let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>]? in
                    // A write may have arrived between taking the empty batch and now: keep going for it.
                    guard state.pending.isEmpty else { return nil }
                    state.committing = false
                    defer { state.drainWaiters = [] }
                    return state.drainWaiters
                }
                guard let waiters else { continue }
                for waiter in waiters { waiter.resume() }
                return
            }
            await commit(batch)
        }
    }

    private func commit(_ batch: [Pending]) async {
        let operations = batch.map(\.operation)
        let results: [Result<Void, SQLiteTaskStoreError>]
        do {
            results = try await database.write { db in try operations.map { try Self.apply($0, in: db) } }
        } catch {
            guard batch.count > 1 else {
                batch[0].continuation.resume(throwing: error)
                return
            }
            logger.warning(
                "a group commit failed; retrying its writes one by one",
                metadata: ["writes": "\(batch.count)", "error": "\(error)"])
            for pending in batch { await commitAlone(pending) }
            return
        }
        tally.withLock { $0 = ($0.batches + 1, $0.writes + batch.count) }
        for (pending, result) in zip(batch, results) { pending.continuation.resume(with: result) }
    }

    private func commitAlone(_ pending: Pending) async {
        let operation = pending.operation
        do {
            let result = try await database.write { db in try Self.apply(operation, in: db) }
            tally.withLock { $0 = ($0.batches + 1, $0.writes + 1) }
            pending.continuation.resume(with: result)
        } catch {
            pending.continuation.resume(throwing: error)
        }
    }

    /// Runs one write inside the open transaction. A duplicate insert is reported in the result rather than
    /// thrown, so it does not roll back the batch.
    private static func apply(_ operation: Operation, in db: Database) throws -> Result<Void, SQLiteTaskStoreError> {
        switch operation {
        case .insert(let row):
            try db.cachedStatement(sql: insertSQL).execute(arguments: row.arguments)
            if db.changesCount == 0 { return .failure(.duplicateID(row.id)) }
        case .update(let row):
            // The engine never changes a task's id, owner, target or creation time: try the update that leaves the
            // indexes on those columns alone, and fall back to rewriting every column if one of them did change.
            try db.cachedStatement(sql: updateChangingSQL).execute(arguments: row.arguments)
            if db.changesCount == 0 { try db.cachedStatement(sql: updateSQL).execute(arguments: row.arguments) }
        case .delete(let ids):
            let statement = try db.cachedStatement(sql: "DELETE FROM task WHERE id = ?")
            for id in ids { try statement.execute(arguments: [id]) }
        }
        return .success(())
    }

    private static let insertSQL = """
        INSERT INTO task (\(TaskRow.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING
        """

    private static let updateChangingSQL = """
        UPDATE task SET status = ?3, expires_at = ?8, record = ?9
        WHERE id = ?1 AND created_at = ?2 AND principal IS ?4 AND team IS ?5 AND session IS ?6 AND target = ?7
            AND parent IS ?10
        """

    private static let updateSQL = """
        UPDATE task SET created_at = ?2, status = ?3, principal = ?4, team = ?5, session = ?6, target = ?7,
            expires_at = ?8, record = ?9, parent = ?10
        WHERE id = ?1
        """
}
