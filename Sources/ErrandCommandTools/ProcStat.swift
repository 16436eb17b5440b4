#if os(Linux)
    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Musl)
        import Musl
    #endif

    /// Reads `/proc/<pid>/stat` to tell running processes from zombies.
    enum ProcStat {
        /// Whether any process in group `pgid` is in a state other than zombie or dead.
        static func anyRunning(inGroup pgid: pid_t) -> Bool {
            guard let directory = opendir("/proc") else { return true }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                guard let pid = pid_t(name), let stat = status(of: pid) else { continue }
                if stat.group == pgid && stat.state != "Z" && stat.state != "X" { return true }
            }
            return false
        }

        /// The state letter and process group of `pid`, or `nil` when it is gone.
        static func status(of pid: pid_t) -> (state: Character, group: pid_t)? {
            let descriptor = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return nil }
            defer { close(descriptor) }
            var buffer = [UInt8](repeating: 0, count: 512)
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return nil }
            let text = String(decoding: buffer[..<count], as: UTF8.self)
            // "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
            guard let close = text.lastIndex(of: ")") else { return nil }
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count >= 3, let state = fields[0].first, let group = pid_t(fields[2]) else { return nil }
            return (state, group)
        }
    }
#endif
