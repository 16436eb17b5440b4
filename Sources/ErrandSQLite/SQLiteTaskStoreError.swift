/// Why ``SQLiteTaskStore`` could not open its file or serve a call. The description says what to do.
public enum SQLiteTaskStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file exists but SQLite cannot read it as a database (not SQLite, encrypted, or damaged).
    case notADatabase(path: String, detail: String)
    /// The file is an SQLite database of another application (its tables are not an Errand task store).
    case foreignDatabase(path: String, detail: String)
    /// The file was written by a newer Errand: it has schema migrations this build does not know.
    case newerSchema(path: String, fileVersion: Int, supportedVersion: Int, unknownMigrations: [String])
    /// Another process holds the file's lock: two servers on one file would run the same tasks twice.
    case locked(path: String)
    /// The file or its directory could not be created or opened.
    case cannotOpen(path: String, detail: String)
    /// Two tasks with one id.
    case duplicateID(String)
    /// A stored row could not be read back.
    case corruptRecord(id: String, reason: String)
    /// The store was closed.
    case closed

    public var description: String {
        switch self {
        case .notADatabase(let path, let detail):
            return "\(path) is not an SQLite database (\(detail)); point --store at another file or move this one away"
        case .foreignDatabase(let path, let detail):
            return "\(path) is an SQLite database but not an Errand task store (\(detail)); use another file"
        case .newerSchema(let path, let fileVersion, let supportedVersion, let unknown):
            return "\(path) has task store schema version \(fileVersion), but this errand supports up to version"
                + " \(supportedVersion) (unknown migrations: \(unknown.joined(separator: ", "))); run a newer errand"
                + " or use another file"
        case .locked(let path):
            return "\(path) is in use by another errand process; stop it or use another file"
        case .cannotOpen(let path, let detail):
            return "cannot open the task store \(path): \(detail)"
        case .duplicateID(let id):
            return "a task with id \(id) is already stored"
        case .corruptRecord(let id, let reason):
            return "the stored task \(id) cannot be read: \(reason)"
        case .closed:
            return "the task store is closed"
        }
    }
}
