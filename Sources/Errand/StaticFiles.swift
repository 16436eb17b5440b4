public import ErrandHTTP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The dashboard's files, read once at start and served from memory with a content type and an ETag-free
/// `Cache-Control: no-cache` (the files are small; freshness beats caching for a dashboard).
public struct StaticFiles: Sendable {
    private let files: [String: (contentType: String, body: [UInt8])]

    /// Loads every regular file under `directory` (no symlinks followed outside it; at most 16 MiB in all).
    public init(directory: String) {
        var files: [String: (String, [UInt8])] = [:]
        var budget = 16 * 1024 * 1024
        func walk(_ relative: String) {
            let path = relative.isEmpty ? directory : directory + "/" + relative
            guard let dir = opendir(path) else { return }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name.hasPrefix(".") { continue }
                let child = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard lstat(directory + "/" + child, &info) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFDIR {
                    walk(child)
                } else if info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) <= budget,
                    let bytes = Self.read(directory + "/" + child)
                {
                    budget -= bytes.count
                    files["/" + child] = (Self.contentType(of: name), bytes)
                }
            }
        }
        walk("")
        self.files = files
    }

    /// Number of files loaded.
    public var count: Int { files.count }

    /// The file at `path` (`/` means `/index.html`), or `nil`.
    public func response(for path: Substring, method: String) -> HTTPResponse? {
        let key = path == "/" ? "/index.html" : String(path)
        guard let file = files[key] else { return nil }
        return HTTPResponse(
            status: 200, contentType: file.contentType, body: method == "HEAD" ? [] : file.body,
            headers: ["Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"])
    }

    static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last.map(String.init) ?? "" {
        case "html": return "text/html; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "json": return "application/json"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "ico": return "image/x-icon"
        case "yaml", "yml": return "application/yaml"
        default: return "application/octet-stream"
        }
    }
}
