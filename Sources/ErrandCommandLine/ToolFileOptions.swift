import ArgumentParser
import Errand
import ErrandCommandTools
import Logging

/// `--tools FILE` (repeatable) of `errand serve` and `errand worker`: command tools declared in YAML or JSON files,
/// served beside the program's own tools and re-read on SIGHUP.
struct ToolFileOptions: ParsableArguments {
    @Option(
        name: .customLong("tools"),
        help: ArgumentHelp(
            "A file of command tools: programs that run as tasks (YAML or JSON; repeat for more files).",
            discussion: "Re-read on SIGHUP; a broken file is refused with its line and reason, and the tools "
                + "served before stay. See the README, \"Command tools\".",
            valueName: "file"))
    var files: [String] = []

    /// The program's catalog with the tools of every file added.
    /// - Throws: `ValidationError` naming the file, the line and the reason, or a tool declared twice.
    func catalog(adding base: Catalog) throws -> Catalog {
        do {
            return try Self.catalog(base, files: files)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// `base` with the tools of `files`; a name used twice (in two files, or by the program and a file) is refused.
    static func catalog(_ base: Catalog, files: [String]) throws(CommandToolFileError) -> Catalog {
        var catalog = base
        var origin: [String: String] = Dictionary(uniqueKeysWithValues: base.tools.map { ($0.name, "the program") })
        for file in files {
            for tool in try CommandToolFile.load(path: file) {
                if let earlier = origin[tool.name] {
                    throw CommandToolFileError(
                        file: file, line: nil,
                        reason:
                            "a tool named '\(tool.name)' is already declared by \(earlier); tool names must be unique")
                }
                origin[tool.name] = file
                catalog.add(tool)
            }
        }
        return catalog
    }

    /// Re-reads the files into `live` (on top of `base`); a broken file leaves the served tools as they were.
    func reload(into live: LiveCatalog, base: Catalog, logger: Logger) {
        guard !files.isEmpty else { return }
        do {
            let catalog = try Self.catalog(base, files: files)
            live.update { $0 = catalog }
            logger.info("reloaded the tools files", metadata: ["tools": "\(catalog.tools.count)"])
        } catch {
            logger.error(
                "a tools file is broken; the tools served before stay",
                metadata: [
                    "file": "\(error.file)", "line": "\(error.line.map(String.init) ?? "-")",
                    "reason": "\(error.reason)",
                ])
        }
    }
}
