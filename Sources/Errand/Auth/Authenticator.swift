import ErrandHTTP
public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Checks bearer tokens against the tokens file and reloads the file when it changes.
///
/// A file that fails to load at start is an error (the server must not run open by accident); a file that
/// fails to load later is logged and the previous principals stay in force.
public final class Authenticator: Sendable {
    /// Where the tokens file is.
    public let path: String
    let defaults: PrincipalLimits
    let logger: Logger

    private struct State {
        var file: TokensFile
        var stamp: FileStamp?
    }

    private let state: Mutex<State>

    /// Loads the tokens file at `path`.
    /// - Parameter defaults: limits of principals that set none.
    /// - Throws: ``TokensFile/Failure`` naming the file and the problem.
    public init(path: String, defaults: PrincipalLimits = .standard, logger: Logger) throws(TokensFile.Failure) {
        self.path = path
        self.defaults = defaults
        self.logger = logger
        let stamp = FileStamp(path: path)
        let file = try Self.load(path, defaults: defaults)
        self.state = Mutex(State(file: file, stamp: stamp))
    }

    /// The principals in force.
    public var principals: [Principal] { state.withLock { $0.file.principals } }

    /// The principal a token belongs to, if any.
    public func principal(forToken token: String) -> Principal? {
        let file = state.withLock { $0.file }
        return file.principal(forToken: token)
    }

    /// Reloads the file if its modification time, size or inode changed. Returns whether new principals are
    /// in force.
    @discardableResult
    public func reloadIfChanged() -> Bool {
        let stamp = FileStamp(path: path)
        guard stamp != state.withLock({ $0.stamp }) else { return false }
        return reload(stamp: stamp)
    }

    /// Reloads the file now (e.g. on SIGHUP). Returns whether new principals are in force.
    @discardableResult
    public func reload() -> Bool { reload(stamp: FileStamp(path: path)) }

    private func reload(stamp: FileStamp?) -> Bool {
        do throws(TokensFile.Failure) {
            let file = try Self.load(path, defaults: defaults)
            state.withLock { $0 = State(file: file, stamp: stamp) }
            logger.notice(
                "reloaded the tokens file", metadata: ["path": "\(path)", "principals": "\(file.principals.count)"])
            return true
        } catch {
            // Remember the stamp so a broken file is reported once, not every poll.
            state.withLock { $0.stamp = stamp }
            logger.error(
                "the tokens file is invalid; keeping the previous principals",
                metadata: ["path": "\(path)", "error": "\(error)"])
            return false
        }
    }

    private static func load(_ path: String, defaults: PrincipalLimits) throws(TokensFile.Failure) -> TokensFile {
        guard let bytes = StaticFiles.read(path) else {
            throw TokensFile.Failure("cannot read the tokens file \(path)")
        }
        do {
            return try TokensFile(bytes: bytes, defaults: defaults)
        } catch {
            throw TokensFile.Failure("tokens file \(path): \(error)")
        }
    }
}

/// What tells a changed file from an unchanged one without reading it.
struct FileStamp: Equatable {
    var seconds: Int
    var nanoseconds: Int
    var size: Int
    var inode: UInt

    /// `nil` when the file cannot be examined.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        seconds = Int(info.st_mtim.tv_sec)
        nanoseconds = Int(info.st_mtim.tv_nsec)
        size = Int(info.st_size)
        inode = UInt(info.st_ino)
    }
}
