#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive `flock` on a file, held until ``unlock()`` or deinit. The kernel drops it when the process dies,
/// even on `kill -9`, so a crashed server never leaves a stale lock behind.
///
/// The lock is on a separate `.lock` file, never on the database: SQLite's own POSIX locks are released when any
/// descriptor of the database closes, so the database file must not be opened by anyone else in the process.
final class FileLock: Sendable {
    private let descriptor: Int32

    /// How long a lock held by someone else is waited for before `.locked`: a child process this one just forked
    /// (to run a command tool) shares the descriptor until it execs or exits, which takes milliseconds.
    static let contendedWaitMs = 2_000

    /// Creates `path` if needed and locks it.
    /// - Throws: `.locked` if another process holds it (for ``contendedWaitMs``), `.cannotOpen` if it cannot be
    ///   created.
    init(path: String, databasePath: String) throws(SQLiteTaskStoreError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .cannotOpen(path: path, detail: String(cString: strerror(errno)))
        }
        var result: Int32
        var waitedMs = 0
        while true {
            result = flock(descriptor, LOCK_EX | LOCK_NB)
            if result == 0 { break }
            if errno == EINTR { continue }
            guard errno == EWOULDBLOCK, waitedMs < Self.contendedWaitMs else { break }
            usleep(10_000)
            waitedMs += 10
        }
        guard result == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { throw .locked(path: databasePath) }
            throw .cannotOpen(path: path, detail: String(cString: strerror(code)))
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}
