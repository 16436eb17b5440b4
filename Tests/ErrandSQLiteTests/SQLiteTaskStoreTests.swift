import ErrandEngine
import ErrandProtocol
import Foundation
import GRDB
import Testing

@testable import ErrandSQLite

/// What only the SQLite store has: a file that outlives the process, its schema, its lock, its indexes.
@Suite struct SQLiteTaskStoreTests {
    @Test func tasksSurviveClosingAndReopening() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("nested/dirs/errand.sqlite")
        let store = try SQLiteTaskStore(path: path)
        let rich = richRecord()
        var done = record(createdAt: 5, status: .working)
        try await store.insert(rich)
        try await store.insert(done)
        done.status = .completed
        done.outcome = .result(["content": [["type": "text", "text": "42"]]])
        try await store.update(done)
        let gone = record(createdAt: 6)
        try await store.insert(gone)
        try await store.delete([gone.id])
        try await store.close()
        await #expect(throws: SQLiteTaskStoreError.closed) { try await store.insert(record()) }

        let reopened = try SQLiteTaskStore(path: path)
        #expect(try await reopened.task(rich.id) == rich)
        #expect(try await reopened.task(done.id) == done)
        #expect(try await reopened.task(gone.id) == nil)
        #expect(try await reopened.counts() == [.inputRequired: 1, .completed: 1])
        #expect(try await reopened.unfinished().map(\.id) == [rich.id])
        try await reopened.close()
    }

    @Test func aNewFileGetsTheSchemaAndIsMarkedAsErrands() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("errand.sqlite")
        try await SQLiteTaskStore(path: path).close()
        let queue = try DatabaseQueue(path: path)
        try await queue.read { db in
            #expect(try Int32.fetchOne(db, sql: "PRAGMA application_id") == TaskStoreSchema.applicationID)
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            #expect(
                try TaskStoreSchema.migrator.appliedIdentifiers(db) == [
                    "1 create task table", "2 add the parent column", "3 index tasks by tool and team",
                ])
            let indexes = try String.fetchSet(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'")
            #expect(
                indexes.isSuperset(of: [
                    "task_by_position", "task_by_status", "task_by_session", "task_by_principal", "task_by_expiry",
                    "task_by_parent", "task_by_tool", "task_by_team",
                ]))
        }
        try queue.close()
        // Opening again applies nothing and keeps the file as it is.
        try await SQLiteTaskStore(path: path).close()
    }

    @Test func theWriteConnectionGetsTheConfiguredCheckpointAndDurability() async throws {
        let directory = TemporaryDirectory()
        let defaults = try SQLiteTaskStore(path: directory.file("default.sqlite"))
        #expect(try await defaults.writerPragma("wal_autocheckpoint") == 10_000)
        #expect(try await defaults.writerPragma("journal_size_limit") == 64 * 1024 * 1024)
        #expect(try await defaults.writerPragma("synchronous") == 1)  // NORMAL
        try await defaults.close()

        var configuration = SQLiteTaskStoreConfiguration()
        configuration.walAutocheckpointPages = 250
        configuration.journalSizeLimitBytes = 1 << 20
        configuration.synchronous = .full
        let custom = try SQLiteTaskStore(path: directory.file("custom.sqlite"), configuration: configuration)
        #expect(try await custom.writerPragma("wal_autocheckpoint") == 250)
        #expect(try await custom.writerPragma("journal_size_limit") == 1 << 20)
        #expect(try await custom.writerPragma("synchronous") == 2)  // FULL
        try await custom.close()
    }

    @Test func aFileFromANewerSchemaIsRefusedWithBothVersions() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("errand.sqlite")
        let store = try SQLiteTaskStore(path: path)
        try await store.insert(record())
        try await store.close()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('4 add leases'), ('3 add workers')")
        }
        try queue.close()

        let error = #expect(throws: SQLiteTaskStoreError.self) { try SQLiteTaskStore(path: path) }
        #expect(
            error
                == .newerSchema(
                    path: path, fileVersion: 4, supportedVersion: 3,
                    unknownMigrations: ["3 add workers", "4 add leases"]))
        let message = error?.description ?? ""
        #expect(message.contains(path) && message.contains("version 4") && message.contains("version 3"))
    }

    /// A file written before child tasks existed (schema 1) opens, gains the parent column, and keeps its tasks.
    @Test func aSchemaOneFileIsMigratedAndKeepsItsTasks() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("errand.sqlite")
        let old = record(status: .completed)
        let queue = try DatabaseQueue(path: path)
        try TaskStoreSchema.migrator.migrate(queue, upTo: "1 create task table")
        try await queue.write { db in
            // A schema-1 row: no parent column.
            try db.execute(
                sql: "INSERT INTO task (id, created_at, status, principal, team, session, target, expires_at, record) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    old.id.rawValue, old.createdAt, old.status.rawValue, old.owner.principal, old.owner.team,
                    old.owner.session, old.target, old.expiresAt, Data(TaskRow.encodeBody(old)),
                ])
        }
        try queue.close()
        let store = try SQLiteTaskStore(path: path)
        #expect(try await store.task(old.id) == old)
        var child = record(status: .queued)
        child.parent = old.id
        try await store.insert(child)
        let children = try await store.list(TaskStoreQuery(requester: .anonymous, limit: 10, parent: old.id))
        #expect(children.map(\.id) == [child.id])
        try await store.close()
    }

    @Test func aFileThatIsNotSQLiteIsRefusedClearly() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("garbage.sqlite")
        let garbage = (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(garbage)))
        let error = #expect(throws: SQLiteTaskStoreError.self) { try SQLiteTaskStore(path: path) }
        guard case .notADatabase(let reportedPath, _) = error else {
            Issue.record("expected notADatabase, got \(String(describing: error))")
            return
        }
        #expect(reportedPath == path)
        #expect(error?.description.contains("is not an SQLite database") == true)
        // The file is left as it was.
        #expect(FileManager.default.contents(atPath: path) == Data(garbage))
    }

    @Test func anotherApplicationsDatabaseIsRefused() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("other.sqlite")
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: "CREATE TABLE invoices (id INTEGER PRIMARY KEY)") }
        try queue.close()
        let error = #expect(throws: SQLiteTaskStoreError.self) { try SQLiteTaskStore(path: path) }
        guard case .foreignDatabase(path, let detail) = error else {
            Issue.record("expected foreignDatabase, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("invoices"))
    }

    @Test func aSecondStoreOnTheSameFileIsRefusedUntilTheFirstCloses() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("errand.sqlite")
        let first = try SQLiteTaskStore(path: path)
        #expect(throws: SQLiteTaskStoreError.locked(path: path)) { try SQLiteTaskStore(path: path) }
        try await first.close()
        let second = try SQLiteTaskStore(path: path)
        try await second.close()
    }

    @Test func aCorruptRecordThrowsInsteadOfCrashing() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("errand.sqlite")
        let task = record()
        do {
            let store = try SQLiteTaskStore(path: path)
            try await store.insert(task)
            try await store.close()
        }
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "UPDATE task SET record = x'01ff' WHERE id = ?", arguments: [task.id.rawValue])
        }
        try queue.close()
        let store = try SQLiteTaskStore(path: path)
        await #expect(throws: SQLiteTaskStoreError.self) { try await store.task(task.id) }
        try await store.close()
    }

    @Test func theHotQueriesUseTheirIndexes() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteTaskStore(path: directory.file("errand.sqlite"))
        #expect(try await store.queryPlan(SQLiteTaskStore.unfinishedSQL).contains("task_by_status"))
        #expect(try await store.queryPlan(SQLiteTaskStore.expiredSQL, arguments: [0, 10]).contains("task_by_expiry"))
        #expect(try await store.queryPlan(SQLiteTaskStore.countsSQL).contains("COVERING INDEX task_by_status"))

        let anonymous = try #require(SQLiteTaskStore.listSQL(TaskStoreQuery(requester: .anonymous, limit: 10)))
        let plan = try await store.queryPlan(anonymous.0, arguments: anonymous.1)
        #expect(plan.contains("task_by_position") && !plan.contains("TEMP B-TREE"), "\(plan)")

        let page = try #require(
            SQLiteTaskStore.listSQL(
                TaskStoreQuery(
                    requester: .anonymous, session: "s", after: TaskListPosition(createdAt: 5, id: TaskID("x")),
                    limit: 10)))
        let sessionPlan = try await store.queryPlan(page.0, arguments: page.1)
        #expect(sessionPlan.contains("task_by_session") && !sessionPlan.contains("TEMP B-TREE"), "\(sessionPlan)")

        // The dashboard's queries: totals from the tool index alone, oldest-first pages along the position index.
        for requester in [TaskOwner.anonymous, TaskOwner(principal: "alice", team: "red")] {
            let tally = SQLiteTaskStore.tallySQL(requester)
            let tallyPlan = try await store.queryPlan(tally.0, arguments: tally.1)
            #expect(
                tallyPlan.contains("COVERING INDEX task_by_tool") && !tallyPlan.contains("TEMP B-TREE"), "\(tallyPlan)")
        }
        let oldest = try #require(
            SQLiteTaskStore.listSQL(
                TaskStoreQuery(
                    requester: .anonymous, after: TaskListPosition(createdAt: 5, id: TaskID("x")), limit: 10,
                    oldestFirst: true)))
        let oldestPlan = try await store.queryPlan(oldest.0, arguments: oldest.1)
        #expect(oldestPlan.contains("task_by_position") && !oldestPlan.contains("TEMP B-TREE"), "\(oldestPlan)")
        let team = try #require(SQLiteTaskStore.listSQL(TaskStoreQuery(requester: .anonymous, limit: 10, team: "red")))
        let teamPlan = try await store.queryPlan(team.0, arguments: team.1)
        #expect(teamPlan.contains("task_by_team") && !teamPlan.contains("TEMP B-TREE"), "\(teamPlan)")
        try await store.close()
    }
}
