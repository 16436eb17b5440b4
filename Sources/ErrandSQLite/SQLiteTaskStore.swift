public import ErrandEngine
import Foundation
import GRDB
public import Logging
import Synchronization

/// Keeps tasks in one SQLite file (WAL mode, through a GRDB `DatabasePool`): the embedded default store, so a
/// restart loses nothing.
///
/// Writes (`insert`, `update`, `delete`) go through a group commit (see ``GroupCommitWriter``): writes that arrive
/// while a transaction commits share the next one, and each call returns only once its transaction is committed.
/// With the default `synchronous = NORMAL` a returned write survives the process crashing or being killed; see
/// ``SQLiteTaskStoreConfiguration/Synchronous`` for power loss. Reads run on a pool of read connections at once,
/// and see every write that has returned.
///
/// Layout: one `task` table with the fields queries use as columns and the rest of the record as a versioned BLOB,
/// indexed for keyset pagination, status (counts, `unfinished()` at start-up), session, principal and expiry of
/// terminal tasks. The schema is created and upgraded by `DatabaseMigrator` migrations; a file written by a newer
/// Errand is refused.
public final class SQLiteTaskStore: TaskStore {
    /// Where `errand serve` keeps its tasks unless told otherwise, relative to the working directory.
    public static let defaultPath = "data/errand.sqlite"

    /// The database file.
    public let path: String
    private let database: DatabasePool
    private let writer: GroupCommitWriter
    private let lock: Mutex<FileLock?>

    /// Opens the store at `path`, creating the file and its parent directories if needed, and migrates it to the
    /// current schema.
    /// - Parameters:
    ///   - path: the database file; `PATH-wal` and `PATH-shm` (SQLite) and `PATH.lock` sit beside it.
    ///   - configuration: durability, batching and reader count (see ``SQLiteTaskStoreConfiguration``).
    /// - Throws: ``SQLiteTaskStoreError``: `.notADatabase` or `.foreignDatabase` if the file is not an Errand
    ///   store, `.newerSchema` if a newer Errand wrote it, `.locked` if another process has it open,
    ///   `.cannotOpen` for any other failure.
    public init(
        path: String, configuration: SQLiteTaskStoreConfiguration = .init(),
        logger: Logger = Logger(label: "errand.sqlite")
    ) throws(SQLiteTaskStoreError) {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw .cannotOpen(path: path, detail: "cannot create the directory \(directory): \(error)")
            }
        }
        let lock = configuration.exclusive ? try FileLock(path: path + ".lock", databasePath: path) : nil

        var grdb = Configuration()
        grdb.label = "errand.sqlite"
        grdb.maximumReaderCount = max(1, configuration.readerCount)
        grdb.busyMode = .timeout(5)
        let synchronous = configuration.synchronous.rawValue
        let cacheKiB = max(2048, configuration.cacheSizeKiB)
        let checkpointPages = max(1, configuration.walAutocheckpointPages)
        let journalLimit = max(0, configuration.journalSizeLimitBytes)
        grdb.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB)") }
        let database: DatabasePool
        do {
            database = try DatabasePool(path: path, configuration: grdb)
            // On the write connection, once GRDB has put it in WAL mode: GRDB sets `synchronous = NORMAL` then,
            // after `prepareDatabase` has run, so a value set there would be overwritten.
            try database.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(checkpointPages)")
                try db.execute(sql: "PRAGMA journal_size_limit = \(journalLimit)")
            }
            try Self.prepareSchema(database, path: path)
        } catch let error as SQLiteTaskStoreError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw .notADatabase(path: path, detail: error.message ?? "file is not a database")
        } catch {
            throw .cannotOpen(path: path, detail: "\(error)")
        }
        self.database = database
        self.lock = Mutex(lock)
        writer = GroupCommitWriter(database: database, maxBatchSize: configuration.maxBatchSize, logger: logger)
        logger.info("opened the task store", metadata: ["path": "\(path)"])
    }

    /// Checks that the file is an Errand store this build can use, then applies missing migrations.
    private static func prepareSchema(_ database: DatabasePool, path: String) throws {
        let migrator = TaskStoreSchema.migrator
        try database.writeWithoutTransaction { db in
            let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            if applicationID != TaskStoreSchema.applicationID {
                let tables = try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                if !tables.isEmpty {
                    throw SQLiteTaskStoreError.foreignDatabase(
                        path: path,
                        detail: "application_id \(applicationID), tables \(tables.sorted().joined(separator: ", "))")
                }
            }
            let known = Set(migrator.migrations)
            let unknown = try migrator.appliedIdentifiers(db).subtracting(known).sorted()
            if !unknown.isEmpty {
                let fileVersion = unknown.compactMap(TaskStoreSchema.version(of:)).max() ?? 0
                throw SQLiteTaskStoreError.newerSchema(
                    path: path, fileVersion: fileVersion, supportedVersion: TaskStoreSchema.supportedVersion,
                    unknownMigrations: unknown)
            }
        }
        try migrator.migrate(database)
    }

    /// Commits the writes already accepted, then closes the file and releases its lock. Later calls throw `.closed`.
    public func close() async throws {
        await writer.close()
        try database.close()
        lock.withLock { $0 = nil }
    }

    /// Group commits and writes committed so far (for tests and benchmarks).
    public var commitStatistics: (transactions: Int, writes: Int) {
        let committed = writer.committed
        return (committed.batches, committed.writes)
    }

    // MARK: - Writes

    public func insert(_ task: TaskRecord) async throws {
        try await writer.perform(.insert(TaskRow(task)))
    }

    public func update(_ task: TaskRecord) async throws {
        try await writer.perform(.update(TaskRow(task)))
    }

    public func delete(_ ids: [TaskID]) async throws {
        guard !ids.isEmpty else { return }
        try await writer.perform(.delete(ids.map(\.rawValue)))
    }

    // MARK: - Reads

    public func task(_ id: TaskID) async throws -> TaskRecord? {
        try await database.read { db in
            let statement = try db.cachedStatement(sql: "SELECT \(TaskRow.columns) FROM task WHERE id = ?")
            return try Row.fetchOne(statement, arguments: [id.rawValue]).map(TaskRow.decode)
        }
    }

    public func list(_ query: TaskStoreQuery) async throws -> [TaskRecord] {
        guard let (sql, arguments) = Self.listSQL(query) else { return [] }
        return try await database.read { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(TaskRow.decode)
        }
    }

    /// The `SELECT` for `query` and its arguments, or `nil` if it cannot match anything.
    static func listSQL(_ query: TaskStoreQuery) -> (String, StatementArguments)? {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let session = query.session {
            conditions.append("session = ?")
            arguments += [session]
        }
        if let statuses = query.statuses {
            guard !statuses.isEmpty else { return nil }
            conditions.append(
                "status IN (" + Array(repeating: "?", count: statuses.count).joined(separator: ", ") + ")")
            arguments += StatementArguments(statuses.map(\.rawValue).sorted())
        }
        if let target = query.target {
            conditions.append("target = ?")
            arguments += [target]
        }
        if let parent = query.parent {
            conditions.append("parent = ?")
            arguments += [parent.rawValue]
        }
        if let createdAfter = query.createdAfter {
            conditions.append("created_at >= ?")
            arguments += [createdAfter]
        }
        if let createdBefore = query.createdBefore {
            conditions.append("created_at < ?")
            arguments += [createdBefore]
        }
        if let after = query.after {
            conditions.append(query.oldestFirst ? "(created_at, id) > (?, ?)" : "(created_at, id) < (?, ?)")
            arguments += [after.createdAt, after.id.rawValue]
        }
        if let principal = query.principal {
            conditions.append("principal = ?")
            arguments += [principal]
        }
        if let team = query.team {
            conditions.append("team = ?")
            arguments += [team]
        }
        let (access, accessArguments) = accessCondition(query.requester)
        conditions.append(access)
        arguments += accessArguments
        arguments += [max(1, query.limit)]
        let order = query.oldestFirst ? "created_at ASC, id ASC" : "created_at DESC, id DESC"
        let sql =
            "SELECT \(TaskRow.columns) FROM task WHERE " + conditions.joined(separator: " AND ")
            + " ORDER BY \(order) LIMIT ?"
        return (sql, arguments)
    }

    /// ``TaskOwner/mayAccess(_:)`` in SQL: an owner without a principal is open to all; else same principal or
    /// same team.
    static func accessCondition(_ requester: TaskOwner) -> (String, StatementArguments) {
        if requester.principal == nil, requester.team == nil { return ("principal IS NULL", []) }
        return ("(principal IS NULL OR principal = ? OR team = ?)", [requester.principal, requester.team])
    }

    public func tally(visibleTo requester: TaskOwner) async throws -> TaskTally {
        let (sql, arguments) = Self.tallySQL(requester)
        return try await database.read { db in
            var tally = TaskTally()
            let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
            while let row = try rows.next() {
                guard let text = String.fromDatabaseValue(row[1]), let status = TaskStatus(rawValue: text) else {
                    throw SQLiteTaskStoreError.corruptRecord(
                        id: "?", reason: "unknown status \(row[1] as DatabaseValue)")
                }
                tally.add(row[2], target: row[0], status: status)
            }
            return tally
        }
    }

    /// The tally's `SELECT`: a covering scan of `task_by_tool`, grouped in index order (no temporary b-tree).
    static func tallySQL(_ requester: TaskOwner) -> (String, StatementArguments) {
        let (access, arguments) = accessCondition(requester)
        return ("SELECT target, status, COUNT(*) FROM task WHERE \(access) GROUP BY target, status", arguments)
    }

    public func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord] {
        guard limit > 0 else { return [] }
        return try await database.read { db in
            try Row.fetchAll(db.cachedStatement(sql: Self.expiredSQL), arguments: [nowMs, limit]).map(TaskRow.decode)
        }
    }

    /// Uses `task_by_expiry` (named: without statistics the planner would pick `task_by_status` and walk every
    /// terminal task); the status and NULL terms repeat the partial index's `WHERE` so that it applies.
    static let expiredSQL = """
        SELECT \(TaskRow.columns) FROM task INDEXED BY task_by_expiry
        WHERE status IN \(TaskStoreSchema.terminalStatuses) AND expires_at IS NOT NULL AND expires_at <= ?
        LIMIT ?
        """

    public func unfinished() async throws -> [TaskRecord] {
        try await database.read { db in
            try Row.fetchAll(db.cachedStatement(sql: Self.unfinishedSQL)).map(TaskRow.decode)
        }
    }

    /// Uses `task_by_status`, so start-up reads only the unfinished tasks however many finished ones are kept.
    static let unfinishedSQL = """
        SELECT \(TaskRow.columns) FROM task WHERE status IN \(TaskStoreSchema.unfinishedStatuses)
        """

    /// Reads up to `limit` rows of each unfinished status along `task_by_status` from `position` on, and
    /// merges them: each page costs at most three index range reads of `limit` rows, however many tasks there are.
    public func unfinished(after position: TaskListPosition?, limit: Int) async throws -> [TaskRecord] {
        guard limit > 0 else { return [] }
        let createdAt = position?.createdAt ?? Int64.min
        let id = position?.id.rawValue ?? ""
        let found = try await database.read { db in
            var rows: [TaskRecord] = []
            for status in [TaskStatus.queued, .working, .inputRequired] {
                let statement = try db.cachedStatement(sql: Self.unfinishedPageSQL)
                let arguments: StatementArguments = [status.rawValue, createdAt, id, limit]
                rows += try Row.fetchAll(statement, arguments: arguments).map(TaskRow.decode)
            }
            return rows
        }
        return found.oldestFirstPage(after: position, limit: limit)
    }

    /// One status's unfinished tasks after a position, oldest first, in `task_by_status` order.
    static let unfinishedPageSQL = """
        SELECT \(TaskRow.columns) FROM task INDEXED BY task_by_status
        WHERE status = ? AND (created_at, id) > (?, ?)
        ORDER BY created_at, id LIMIT ?
        """

    public func counts() async throws -> [TaskStatus: Int] {
        try await database.read { db in
            var counts: [TaskStatus: Int] = [:]
            let rows = try Row.fetchCursor(db.cachedStatement(sql: Self.countsSQL))
            while let row = try rows.next() {
                guard let text = String.fromDatabaseValue(row[0]), let status = TaskStatus(rawValue: text) else {
                    throw SQLiteTaskStoreError.corruptRecord(
                        id: "?", reason: "unknown status \(row[0] as DatabaseValue)")
                }
                counts[status] = row[1]
            }
            return counts
        }
    }

    /// A covering scan of `task_by_status`.
    static let countsSQL = "SELECT status, COUNT(*) FROM task GROUP BY status"

    /// The integer value of `PRAGMA name` on the write connection (for tests that check the configuration applies).
    func writerPragma(_ name: String) async throws -> Int? {
        try await database.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    /// The query plan SQLite picks for `sql` (for tests that check an index is used).
    func queryPlan(_ sql: String, arguments: StatementArguments = []) async throws -> String {
        try await database.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                .map { $0["detail"] as String? ?? "" }.joined(separator: "\n")
        }
    }
}
