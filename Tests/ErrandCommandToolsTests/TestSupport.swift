import Errand
import ErrandCommandTools
import ErrandEngine
import ErrandProtocol
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A ``ToolContext`` whose progress and log sinks record into Mutex-protected arrays.
final class RecordingContext: Sendable {
    private let progressEvents = Mutex<[TaskProgress]>([])
    private let logLines = Mutex<[String]>([])
    let answers: [JSONValue]
    private let asked = Mutex<[JSONValue]>([])

    init(answers: [JSONValue] = []) { self.answers = answers }

    var context: ToolContext {
        ToolContext(
            logger: Logger(label: "test"), taskID: nil,
            progress: { [self] progress in progressEvents.withLock { $0.append(progress) } },
            input: { [self] request in
                let index = asked.withLock { list in
                    list.append(request)
                    return list.count - 1
                }
                return index < answers.count ? answers[index] : .null
            },
            log: { [self] _, line in logLines.withLock { $0.append(line) } })
    }

    var progress: [TaskProgress] { progressEvents.withLock { $0 } }
    var log: [String] { logLines.withLock { $0 } }
    var requests: [JSONValue] { asked.withLock { $0 } }
}

/// Loads the one tool `yaml` declares.
func loadTool(_ yaml: String, limits: CommandToolLimits = .init()) throws -> Tool {
    let tools = try CommandToolFile.parse(yaml: yaml, source: "test.yaml", limits: limits)
    return try #require(tools.first)
}

/// A tool named `t` running `command` (a YAML flow list), plus extra YAML lines for the entry.
func commandTool(_ command: String, _ extra: String = "", limits: CommandToolLimits = .init()) throws -> Tool {
    let indented = extra.split(separator: "\n").map { "    \($0)" }.joined(separator: "\n")
    return try loadTool(
        """
        tools:
          - name: t
            command: \(command)
        \(indented)
        """, limits: limits)
}

/// Calls `tool` the way the server does: arguments validated against its schema, errors turned into results.
func call(_ tool: Tool, _ arguments: JSONValue = [:], context: ToolContext? = nil) async -> ToolOutput {
    var catalog = Catalog()
    catalog.add(tool)
    let runner = CatalogRunner(catalog: catalog, logger: Logger(label: "test"))
    return await runner.callTool(tool, arguments: arguments, context: context ?? RecordingContext().context)
}

/// Whether `pid` is gone: no such process, or only its zombie is left (the sandbox's init does not reap orphans).
func processIsGone(_ pid: pid_t) -> Bool {
    if kill(pid, 0) != 0 { return errno == ESRCH }
    guard let stat = try? String(contentsOfProcStat: pid) else { return true }
    guard let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
}

/// Reads a pid a test program wrote to `path`, waiting until the file holds one.
func waitForPid(in path: String) async throws -> pid_t {
    var value: pid_t?
    let appeared = await eventually {
        value = (try? String(contentsOfFile: path)).flatMap { pid_t($0.trimmingSuffix(while: \.isNewline)) }
        return value != nil
    }
    try #require(appeared, "no pid in \(path)")
    return value!
}

/// Polls the async `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

struct ProcError: Error {}

extension ToolOutput {
    var text: String { firstText ?? "" }
}
