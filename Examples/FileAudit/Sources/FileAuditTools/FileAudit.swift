import Errand
import Foundation

/// The example's tools: count the lines of a source tree per file extension, and audit a tree by fanning out one
/// task per top-level folder.
public enum FileAudit {
    public static let tools: [Tool] = [countLines, auditTree]

    /// `count_lines`: what `cloc` would tell you, as a task that reports progress and logs what it skips.
    public struct CountLines: Decodable, Sendable {
        /// The directory to walk.
        public var path: String
        /// Only files with these extensions (without the dot); all files when absent.
        public var extensions: [String]?
    }

    public static let countLines = Tool(
        name: "count_lines", title: "Count lines",
        description: "Count the lines of every file under `path`, per file extension.",
        inputSchema: .object(
            [
                "path": .string(description: "Directory to walk"),
                "extensions": .array(items: .string(), description: "Only these extensions, e.g. [\"swift\", \"py\"]"),
            ], required: ["path"]),
        arguments: CountLines.self, taskSupport: .optional, pollIntervalMs: 1000
    ) { arguments, context in
        let files = try SourceTree.files(under: arguments.path, extensions: arguments.extensions.map(Set.init))
        await context.log("counting \(files.count) files under \(arguments.path)")
        var tally = LineTally()
        for (index, file) in files.enumerated() {
            try Task.checkCancellation()
            do {
                tally.add(file.extension, lines: try SourceTree.lineCount(of: file.path))
            } catch {
                await context.log("skipped \(file.path): \(error)", level: .warning)
            }
            if index % 50 == 49 || index == files.count - 1 {
                await context.progress(
                    Double(index + 1), total: Double(files.count), message: "\(index + 1)/\(files.count) files")
            }
        }
        return .structured(tally.json)
    }

    /// `audit_tree`: one `count_lines` task per top-level folder (each its own task: visible, cancellable, retried
    /// on its own), then the totals.
    public struct AuditTree: Decodable, Sendable {
        public var path: String
        public var extensions: [String]?
    }

    public static let auditTree = Tool(
        name: "audit_tree", title: "Audit a source tree",
        description: "Count lines per extension under `path`, one child task per top-level folder, and add them up.",
        inputSchema: .object(
            [
                "path": .string(description: "Directory whose folders to audit"),
                "extensions": .array(items: .string(), description: "Only these extensions"),
            ], required: ["path"]),
        arguments: AuditTree.self, taskSupport: .required
    ) { arguments, context in
        let folders = try SourceTree.folders(under: arguments.path)
        await context.log("auditing \(folders.count) folders on node \(context.node ?? "-")")
        var children: [TaskID] = []
        for folder in folders {
            var childArguments: [String: JSONValue] = ["path": .string(folder)]
            if let extensions = arguments.extensions {
                childArguments["extensions"] = .array(extensions.map { .string($0) })
            }
            children.append(try await context.tasks.start("count_lines", arguments: .object(childArguments)))
        }
        var total = LineTally()
        for (index, child) in children.enumerated() {
            let output = try await context.tasks.result(of: child)
            total.merge(output.structuredContent)
            await context.progress(Double(index + 1), total: Double(children.count), message: "\(folders[index]) done")
        }
        return .structured(["folders": .int(Int64(folders.count)), "total": total.json])
    }
}

/// Lines and files per extension.
struct LineTally {
    var byExtension: [String: (files: Int64, lines: Int64)] = [:]

    mutating func add(_ fileExtension: String, lines: Int64) {
        let key = fileExtension.isEmpty ? "(none)" : fileExtension
        byExtension[key, default: (0, 0)].files += 1
        byExtension[key, default: (0, 0)].lines += lines
    }

    /// Adds another tally's JSON (`{"extensions": {"swift": {"files": 2, "lines": 40}}, …}`).
    mutating func merge(_ json: JSONValue?) {
        for (key, value) in json?["extensions"]?.objectValue ?? [:] {
            byExtension[key, default: (0, 0)].files += value["files"]?.intValue ?? 0
            byExtension[key, default: (0, 0)].lines += value["lines"]?.intValue ?? 0
        }
    }

    var json: JSONValue {
        let extensions = byExtension.mapValues { JSONValue.object(["files": .int($0.files), "lines": .int($0.lines)]) }
        return [
            "extensions": .object(extensions),
            "files": .int(byExtension.values.reduce(Int64(0)) { $0 + $1.files }),
            "lines": .int(byExtension.values.reduce(Int64(0)) { $0 + $1.lines }),
        ]
    }
}
