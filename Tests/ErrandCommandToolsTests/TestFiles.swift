import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh empty directory under /tmp.
func temporaryDirectory() throws -> String {
    var template = Array("/tmp/errand-ct-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    try #require(made != nil)
    return String(decoding: template.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

extension String {
    /// The text of `/proc/<pid>/stat`.
    init(contentsOfProcStat pid: pid_t) throws {
        let descriptor = open("/proc/\(pid)/stat", O_RDONLY)
        guard descriptor >= 0 else { throw ProcError() }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { throw ProcError() }
        self = String(decoding: buffer[..<count], as: UTF8.self)
    }
}

extension String {
    func write(toFile path: String) throws {
        guard let file = fopen(path, "w") else { throw ProcError() }
        defer { fclose(file) }
        fputs(self, file)
    }
}

extension String {
    init(contentsOfFile path: String) throws {
        guard let file = fopen(path, "r") else { throw ProcError() }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        self = String(decoding: bytes, as: UTF8.self)
    }

    func trimmingSuffix(while predicate: (Character) -> Bool) -> String {
        var text = self
        while let last = text.last, predicate(last) { text.removeLast() }
        return text
    }
}
