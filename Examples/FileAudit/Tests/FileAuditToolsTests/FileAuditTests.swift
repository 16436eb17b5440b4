import Errand
import ErrandEngine
import FileAuditTools
import Foundation
import Logging
import Synchronization
import Testing

/// A scratch source tree: `app/` with two Swift files, `docs/` with one Markdown file, a hidden folder.
struct ScratchTree: ~Copyable {
    let root: String
    /// Lines written per extension.
    let lines: [String: Int64] = ["swift": 3 + 5, "md": 2]

    init() throws {
        root = NSTemporaryDirectory() + "file-audit-" + UUID().uuidString
        let files = [
            "app/main.swift": "let a = 1\nlet b = 2\nprint(a + b)\n",
            "app/util.swift": "func f() {\n}\nfunc g() {\n}\n// no newline at the end",
            "docs/README.md": "# Docs\nThe end.\n",
            ".git/config": "[core]\n",
        ]
        for (path, text) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }
}

@Suite struct FileAuditTests {
    let runner = CatalogRunner(catalog: FileAuditTests.catalog, logger: Logger(label: "test"))

    static var catalog: Catalog {
        var catalog = Catalog(defaultTaskSupport: .optional)
        for tool in FileAudit.tools { catalog.add(tool) }
        return catalog
    }

    @Test func countsLinesPerExtensionAndReportsProgress() async throws {
        let tree = try ScratchTree()
        let progress = Mutex<[TaskProgress]>([])
        let context = ToolContext(
            logger: Logger(label: "test"), progress: { update in progress.withLock { $0.append(update) } })
        let output = await runner.callTool(
            FileAudit.countLines, arguments: ["path": .string(tree.root)], context: context)
        #expect(output.isError == false, "\(output.content)")
        let result = try #require(output.structuredContent)
        #expect(result["extensions"]?["swift"]?["lines"]?.intValue == tree.lines["swift"])
        #expect(result["extensions"]?["md"]?["lines"]?.intValue == tree.lines["md"])
        #expect(result["files"]?.intValue == 3)  // the hidden .git folder is skipped
        #expect(progress.withLock { $0.last } == TaskProgress(current: 3, total: 3, message: "3/3 files"))
    }

    @Test func refusesAnArgumentOfTheWrongTypeNamingIt() {
        let problems = FileAudit.countLines.argumentProblems(["path": "/tmp", "extensions": [1]])
        #expect(problems.count == 1)
        #expect(problems.first?.contains("extensions") == true)
    }

    @Test func auditsATreeWithOneChildTaskPerFolder() async throws {
        let tree = try ScratchTree()
        let application = ErrandApplication(
            configuration: ErrandConfiguration(), catalog: Self.catalog, store: MemoryTaskStore(),
            logger: Logger(label: "test"))
        try await application.start()
        let engine = application.engine
        let parent = try await engine.submit(
            TaskSubmission(
                kind: .toolCall, target: "audit_tree", arguments: ["path": .string(tree.root)], owner: .anonymous))
        let done = try await engine.waitForTerminal(parent.id, for: .anonymous, timeout: .seconds(60))
        let page = try await engine.list(TaskListQuery(scope: .visible), for: .anonymous)
        await application.shutdown()

        #expect(done.status == .completed)
        guard case .result(let result) = done.outcome else {
            Issue.record("no result: \(String(describing: done.outcome))")
            return
        }
        #expect(result["structuredContent"]?["folders"]?.intValue == 2)
        #expect(result["structuredContent"]?["total"]?["lines"]?.intValue == tree.lines.values.reduce(0, +))
        let children = page.tasks.filter { $0.parent == parent.id }
        #expect(children.count == 2)
        #expect(children.allSatisfy { $0.target == "count_lines" && $0.status == .completed })
    }
}
