/// How ``SQLiteTaskStore`` opens and writes its file.
public struct SQLiteTaskStoreConfiguration: Sendable {
    /// How hard a commit pushes its data to the disk (`PRAGMA synchronous`, the database is in WAL mode).
    public enum Synchronous: String, Sendable {
        /// The commit is in the WAL file (in the operating system's cache) when a write returns: it survives the
        /// process crashing or being killed. A power loss or kernel crash may lose the last commits since the
        /// last checkpoint (at most about ``SQLiteTaskStoreConfiguration/walAutocheckpointPages`` pages of
        /// them); the file stays consistent either way.
        case normal = "NORMAL"
        /// Every commit is fsynced before the write returns: it also survives a power loss, at the cost of one
        /// fsync per group commit.
        case full = "FULL"
    }

    /// Durability of each commit. Default `.normal` (see ``Synchronous``).
    public var synchronous: Synchronous = .normal
    /// Most writes one group commit carries. Default 1,000.
    public var maxBatchSize: Int = 1000
    /// Read connections used concurrently (lists, lookups, the reaper). Default 4.
    public var readerCount: Int = 4
    /// Page cache per connection in KiB (`PRAGMA cache_size`). Default 32 MiB, enough to keep the indexes of
    /// several hundred thousand tasks in memory so that writes do not re-read index pages from the file.
    public var cacheSizeKiB: Int = 32 * 1024
    /// WAL size, in pages, at which a commit copies the WAL back into the database file and syncs both
    /// (`PRAGMA wal_autocheckpoint`). Default 10,000 (about 40 MiB with 4 KiB pages), ten times SQLite's
    /// default: every checkpoint stalls the writer for two fsyncs and rewrites each page it copies, and with
    /// random task ids a group commit dirties dozens of index pages, so SQLite's 1,000 checkpointed every dozen
    /// commits and cost about a third of the write throughput. A larger value makes the WAL that a restart
    /// after a crash replays longer (tens of milliseconds at this size), and widens what ``Synchronous/normal``
    /// may lose on power loss.
    public var walAutocheckpointPages: Int = 10_000
    /// Size the WAL file is truncated back to after a checkpoint that empties it
    /// (`PRAGMA journal_size_limit`). Default 64 MiB, above the default checkpoint size so that a busy store
    /// reuses its WAL file instead of growing and shrinking it.
    public var journalSizeLimitBytes: Int = 64 * 1024 * 1024
    /// Whether to hold an exclusive lock on `PATH.lock` while open, so that a second errand process on the same
    /// file fails at once instead of running the same tasks. Default `true`.
    public var exclusive: Bool = true

    public init() {}
}
