import Logging
import PostgresNIO

/// Brings a database to ``PostgresSchema/supportedVersion`` under an advisory lock, so nodes starting at once
/// migrate one after the other; refuses a database with a newer version.
struct PostgresMigrator {
    var client: PostgresClient
    var logger: Logger

    func migrate() async throws(PostgresClusterStoreError) {
        let logger = self.logger
        do {
            try await client.withTransaction(logger: logger) { connection in
                // A migration may rewrite a large table: the store's statement timeout is for its own queries.
                try await connection.query("SET LOCAL statement_timeout = 0", logger: logger)
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLockKey))", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS errand_schema (
                        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                    """, logger: logger)
                let rows = try await connection.rows(
                    "SELECT coalesce(max(version), 0)::bigint FROM errand_schema", logger: logger)
                let current = Int(try rows.first?.decode(Int64.self) ?? 0)
                guard current <= PostgresSchema.supportedVersion else {
                    throw PostgresClusterStoreError.newerSchema(
                        databaseVersion: current, supportedVersion: PostgresSchema.supportedVersion)
                }
                for migration in PostgresSchema.migrations where migration.version > current {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO errand_schema (version, name) VALUES (\(migration.version), \(migration.name))",
                        logger: logger)
                    logger.info(
                        "migrated the PostgreSQL task store",
                        metadata: ["version": "\(migration.version)", "migration": "\(migration.name)"])
                }
            }
        } catch {
            throw PostgresClusterStore.mapped(error)
        }
    }
}
