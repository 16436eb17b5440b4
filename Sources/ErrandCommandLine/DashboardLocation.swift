#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where `errand serve` finds the dashboard (`Public/`) when `--public-dir` is not given: in the working
/// directory, else beside the executable — an installed layout (`BIN/../share/errand/Public`) or the package the
/// binary was built in (`.build/TRIPLE/CONFIG/errand` → `Public`, found by walking up to four folders up).
enum DashboardLocation {
    /// The directories tried, in order, for an executable at `executable` run from the working directory.
    static func candidates(executable: String?) -> [String] {
        var found = ["Public"]
        if let executable, let slash = executable.lastIndex(of: "/") {
            let binDirectory = String(executable[..<slash])
            found.append(binDirectory + "/../share/errand/Public")
            var up = binDirectory
            for _ in 1...4 {
                up += "/.."
                found.append(up + "/Public")
            }
        }
        return found
    }

    /// The first candidate that holds an `index.html`, or `nil`.
    static func find(executable: String? = currentExecutable()) -> String? {
        candidates(executable: executable).first(where: hasDashboard)
    }

    /// Whether `directory` holds a dashboard (its `index.html`).
    static func hasDashboard(_ directory: String) -> Bool {
        access(directory + "/index.html", R_OK) == 0
    }

    /// The running executable's path (`/proc/self/exe`), or `nil` where it cannot be read.
    static func currentExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
