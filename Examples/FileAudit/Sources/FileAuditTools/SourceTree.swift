import Errand
import Foundation

/// Reading a directory tree: its regular files, its top-level folders, a file's line count.
enum SourceTree {
    struct File {
        var path: String
        var `extension`: String
    }

    /// The regular files under `root` (hidden entries skipped), sorted by path.
    static func files(under root: String, extensions: Set<String>?) throws -> [File] {
        guard isDirectory(root) else { throw ToolError("'\(root)' is not a directory") }
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw ToolError("'\(root)' cannot be read")
        }
        var files: [File] = []
        while let relative = walker.nextObject() as? String {
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            let path = root + "/" + relative
            guard !isDirectory(path) else { continue }
            let fileExtension = (relative as NSString).pathExtension
            if let extensions, !extensions.contains(fileExtension) { continue }
            files.append(File(path: path, extension: fileExtension))
        }
        return files.sorted { $0.path < $1.path }
    }

    /// The folders directly under `root` (hidden ones skipped), as paths, sorted.
    static func folders(under root: String) throws -> [String] {
        guard isDirectory(root) else { throw ToolError("'\(root)' is not a directory") }
        let names = try FileManager.default.contentsOfDirectory(atPath: root)
        return names.filter { !$0.hasPrefix(".") }.map { root + "/" + $0 }.filter(isDirectory).sorted()
    }

    /// Newline characters in the file (a last line without one counts too).
    static func lineCount(of path: String) throws -> Int64 {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var lines: Int64 = 0
        for byte in data where byte == UInt8(ascii: "\n") { lines += 1 }
        if let last = data.last, last != UInt8(ascii: "\n") { lines += 1 }
        return lines
    }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
