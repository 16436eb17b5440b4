#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds the file a command's program names, in the server, before anything is spawned.
///
/// Searching here rather than by trying `execve` on each `PATH` entry in turn (one spawn per entry) costs a few
/// `stat` calls instead of a process start per entry, and a missing program is reported without spawning at all.
enum ProgramLookup {
    /// The path `program` runs from: `program` itself when it contains a `/`, otherwise the first executable
    /// regular file of that name in an absolute entry of `searchPath`; `nil` when there is none.
    static func resolve(_ program: String, searchPath: String) -> String? {
        if program.contains("/") { return program }
        guard !program.isEmpty else { return nil }
        for directory in searchPath.split(separator: ":") where directory.hasPrefix("/") {
            let candidate = directory.hasSuffix("/") ? "\(directory)\(program)" : "\(directory)/\(program)"
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}
