import GRDB

/// The `task` table and its indexes, as ``DatabaseMigrator`` migrations.
///
/// Migration identifiers start with their schema version number (`"1 ..."`, `"2 ..."`), so that a file written
/// by a newer Errand names the version it needs. Never edit a shipped migration; append a new one.
enum TaskStoreSchema {
    /// `PRAGMA application_id` of an Errand task store ("ERND").
    static let applicationID: Int32 = 0x4552_4E44

    /// Statuses in the partial indexes and in the queries that must use them; the text must match exactly.
    static let terminalStatuses = "('completed', 'failed', 'cancelled')"
    static let unfinishedStatuses = "('queued', 'working', 'input_required')"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("1 create task table") { db in
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(
                sql: """
                    CREATE TABLE task (
                        id TEXT NOT NULL PRIMARY KEY,
                        created_at INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        principal TEXT,
                        team TEXT,
                        session TEXT,
                        target TEXT NOT NULL,
                        expires_at INTEGER,
                        record BLOB NOT NULL
                    ) STRICT;
                    -- Keyset pagination, newest first: (created_at DESC, id DESC), scanned backwards.
                    CREATE INDEX task_by_position ON task (created_at, id);
                    -- Status filters, counts() (covering) and unfinished() at start-up.
                    CREATE INDEX task_by_status ON task (status, created_at, id);
                    -- tasks/list scoped to one MCP session.
                    CREATE INDEX task_by_session ON task (session, created_at, id) WHERE session IS NOT NULL;
                    -- Lists of one principal's tasks.
                    CREATE INDEX task_by_principal ON task (principal, created_at, id) WHERE principal IS NOT NULL;
                    -- The reaper: terminal tasks by expiry.
                    CREATE INDEX task_by_expiry ON task (expires_at)
                        WHERE status IN \(terminalStatuses) AND expires_at IS NOT NULL;
                    """)
        }
        migrator.registerMigration("2 add the parent column") { db in
            try db.execute(
                sql: """
                    ALTER TABLE task ADD COLUMN parent TEXT;
                    -- The tasks a task started (GET /api/tasks?parent=ID).
                    CREATE INDEX task_by_parent ON task (parent, created_at, id) WHERE parent IS NOT NULL;
                    """)
        }
        migrator.registerMigration("3 index tasks by tool and team") { db in
            try db.execute(
                sql: """
                    -- tally(visibleTo:): counts per tool and status, read from this index alone.
                    CREATE INDEX task_by_tool ON task (target, status, principal, team);
                    -- Lists filtered by team (GET /api/tasks?team=).
                    CREATE INDEX task_by_team ON task (team, created_at, id) WHERE team IS NOT NULL;
                    """)
        }
        return migrator
    }

    /// The schema version of a migration identifier (its leading number), or `nil` if it has none.
    static func version(of identifier: String) -> Int? {
        Int(identifier.prefix { $0.isNumber })
    }

    /// The highest schema version this build knows.
    static var supportedVersion: Int {
        migrator.migrations.compactMap(version(of:)).max() ?? 0
    }
}
