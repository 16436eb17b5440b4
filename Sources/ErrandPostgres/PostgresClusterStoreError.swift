import ErrandEngine

/// Why ``PostgresClusterStore`` could not open the database or serve a call. The description says what to do.
public enum PostgresClusterStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `--store` URL is not a `postgres://user:password@host:port/database` URL.
    case invalidURL(String, reason: String)
    /// The database was migrated by a newer Errand: it has schema versions this build does not know.
    case newerSchema(databaseVersion: Int, supportedVersion: Int)
    /// The database could not be reached or a statement failed.
    case database(String)
    /// A stored row could not be read back.
    case corruptRecord(id: String, reason: String)
    /// Two tasks with one id.
    case duplicateID(String)
    /// The store was closed.
    case closed

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            return "--store '\(StoreURL.withoutPassword(url))' is not a PostgreSQL URL (\(reason));"
                + " use postgres://USER:PASSWORD@HOST:PORT/DATABASE"
        case .newerSchema(let databaseVersion, let supportedVersion):
            return "the database has Errand schema version \(databaseVersion), but this errand supports up to version"
                + " \(supportedVersion); run a newer errand or use another database"
        case .database(let detail):
            return "PostgreSQL error: \(detail)"
        case .corruptRecord(let id, let reason):
            return "the stored task \(id) cannot be read: \(reason)"
        case .duplicateID(let id):
            return "a task with id \(id) is already stored"
        case .closed:
            return "the task store is closed"
        }
    }
}
