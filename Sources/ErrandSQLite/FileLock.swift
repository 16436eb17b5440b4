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
///
/// A lock just released can still look held for a moment: a child process this process is starting at that instant
/// (a command tool, say) holds a copy of the descriptor until it execs, and the lock lives as long as any copy.
/// So a held lock is retried for up to ``busyWait`` before it counts as another process's.
final class FileLock: Sendable {
    /// How long a held lock is retried before ``init(path:databasePath:)`` gives up.
    static let busyWait = Duration.milliseconds(500)

    private let descriptor: Int32

    /// Creates `path` if needed and locks it.
    /// - Throws: `.locked` if another process holds it, `.cannotOpen` if it cannot be created.
    init(path: String, databasePath: String) throws(SQLiteTaskStoreError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .cannotOpen(path: path, detail: String(cString: strerror(errno)))
        }
        var result = Self.tryLock(descriptor)
        let deadline = ContinuousClock.now + Self.busyWait
        while result != 0 && errno == EWOULDBLOCK && ContinuousClock.now < deadline {
            usleep(10_000)
            result = Self.tryLock(descriptor)
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

    /// One non-blocking `flock`, retried on `EINTR`; `errno` tells why it failed.
    private static func tryLock(_ descriptor: Int32) -> Int32 {
        var result: Int32
        repeat { result = flock(descriptor, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        return result
    }
}
