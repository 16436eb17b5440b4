// errand-store-tool: measurements and fixtures for the SQLite task store, outside the unit tests.
//
//   ErrandStoreTool throughput [TASKS] [SUBMITTERS]   tasks/s through TaskEngine, memory vs SQLite (NORMAL, FULL)
//   ErrandStoreTool fill PATH COUNT                   adds COUNT completed tasks to the store at PATH
//   ErrandStoreTool fill-mixed PATH COUNT             adds COUNT ended tasks of four tools, 1 in 10 failed and
//                                                     1 in 50 cancelled, 1 ms apart (the dashboard's web tests)
//
// Build it in release mode for numbers that mean something: swift build -c release --product ErrandStoreTool
import ErrandEngine
import ErrandProtocol
import ErrandSQLite
import Foundation
import Logging

/// Warnings and errors only: the tool's output is its measurements.
let quiet: Logger = {
    var logger = Logger(label: "errand-store-tool")
    logger.logLevel = .warning
    return logger
}()

/// Completes every task at once: the engine and the store are all that is measured.
struct NoOpRunner: TaskRunner {
    func run(_ task: TaskRecord, context: TaskContext) async -> TaskRunResult {
        TaskRunResult(outcome: .result(["content": [["type": "text", "text": "ok"]]]), status: .completed)
    }

    func policy(for task: TaskRecord) -> TaskPolicy { .default }
}

/// CPU seconds (user + system) this process has used so far, every thread included.
func cpuSeconds() -> Double {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// Submits `count` tasks from `submitters` concurrent callers, each waiting for its task to complete before
/// submitting the next; returns completed tasks per second and CPU microseconds per task. The CPU figure does
/// not depend on how busy the machine is, so it compares stores even when other load makes rates noisy.
func measure(store: any TaskStore, count: Int, submitters: Int) async throws -> (rate: Double, cpuMicros: Double) {
    let engine = TaskEngine(store: store, runner: NoOpRunner(), logger: quiet)
    try await engine.start()
    let cpuBefore = cpuSeconds()
    let clock = ContinuousClock()
    let started = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for submitter in 0..<submitters {
            let share = count / submitters + (submitter < count % submitters ? 1 : 0)
            group.addTask {
                let owner = TaskOwner(session: "submitter-\(submitter)")
                for _ in 0..<share {
                    let task = try await engine.submit(
                        TaskSubmission(kind: .toolCall, target: "noop", arguments: ["x": 1], owner: owner))
                    let done = try await engine.waitForTerminal(task.id, for: owner, timeout: .seconds(30))
                    guard done.status == .completed else { throw ToolError("task \(task.id) ended \(done.status)") }
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = clock.now - started
    let cpu = cpuSeconds() - cpuBefore
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let completed = try await store.counts()[.completed, default: 0]
    guard completed == count else { throw ToolError("the store holds \(completed) completed tasks, not \(count)") }
    await engine.shutdown()
    return (Double(count) / seconds, cpu * 1e6 / Double(count))
}

func throughput(count: Int, submitters: Int) async throws {
    let directory = NSTemporaryDirectory() + "errand-store-tool-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    print("\(count) no-op tasks, \(submitters) concurrent submitters, each awaiting completion")
    let memory = try await measure(store: MemoryTaskStore(), count: count, submitters: submitters)
    print(String(format: "  memory           %8.0f tasks/s  %5.0f µs CPU/task", memory.rate, memory.cpuMicros))
    for (name, synchronous) in [("NORMAL", SQLiteTaskStoreConfiguration.Synchronous.normal), ("FULL", .full)] {
        var configuration = SQLiteTaskStoreConfiguration()
        configuration.synchronous = synchronous
        let store = try SQLiteTaskStore(
            path: "\(directory)/\(name).sqlite", configuration: configuration, logger: quiet)
        let (rate, cpuMicros) = try await measure(store: store, count: count, submitters: submitters)
        let commits = store.commitStatistics
        try await store.close()
        print(
            String(
                format:
                    "  sqlite %@ %8.0f tasks/s  %5.0f µs CPU/task  (%.2f of memory's rate, %.2f of its CPU/task;"
                    + " %d writes in %d transactions, %.1f per commit)",
                name.padding(toLength: 9, withPad: " ", startingAt: 0), rate, cpuMicros, rate / memory.rate,
                cpuMicros / memory.cpuMicros, commits.writes,
                commits.transactions,
                Double(commits.writes) / Double(max(1, commits.transactions))))
    }
}

/// The store alone, without the engine: `submitters` callers each insert a working task, then update it to
/// completed, `count` tasks in all. Prints tasks/s and the commit statistics.
func storeOnly(count: Int, submitters: Int) async throws {
    let directory = NSTemporaryDirectory() + "errand-store-tool-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let store = try SQLiteTaskStore(path: "\(directory)/store.sqlite", logger: quiet)
    let clock = ContinuousClock()
    let started = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for submitter in 0..<submitters {
            group.addTask {
                for index in stride(from: submitter, to: count, by: submitters) {
                    var task = TaskRecord(
                        id: TaskID.random(), owner: TaskOwner(session: "s\(submitter)"), kind: .toolCall,
                        target: "noop", arguments: ["x": 1], status: .working, createdAt: Int64(index),
                        lastUpdatedAt: Int64(index), ttlMs: 3_600_000, pollIntervalMs: 500, attempt: 1,
                        history: [TaskHistoryEntry(at: Int64(index), status: .working, message: nil, attempt: 1)])
                    try await store.insert(task)
                    task.status = .completed
                    task.outcome = .result(["content": [["type": "text", "text": "ok"]]])
                    task.history.append(
                        TaskHistoryEntry(at: Int64(index), status: .completed, message: nil, attempt: 1))
                    try await store.update(task)
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = clock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let commits = store.commitStatistics
    try await store.close()
    print(
        String(
            format: "store only: %.0f tasks/s (%d writes in %d transactions)", Double(count) / seconds,
            commits.writes, commits.transactions))
}

/// Inserts `count` completed tasks, as `errand serve` would have left them, with 64 concurrent writers.
/// The tools and final statuses of `fill-mixed`: task `index` of a mixed fill.
func mixedTask(_ index: Int) -> (tool: String, status: TaskStatus) {
    let tools = ["slow_computation", "run_tests", "analyze_molecules", "deep_research"]
    let status: TaskStatus = index % 50 == 7 ? .cancelled : index % 10 == 3 ? .failed : .completed
    return (tools[index % tools.count], status)
}

func fill(path: String, count: Int, mixed: Bool = false) async throws {
    let store = try SQLiteTaskStore(path: path, logger: quiet)
    let now = SystemEngineClock().nowMs()
    let clock = ContinuousClock()
    let started = clock.now
    let writers = 64
    try await withThrowingTaskGroup(of: Void.self) { group in
        for writer in 0..<writers {
            group.addTask {
                for index in stride(from: writer, to: count, by: writers) {
                    let createdAt = now - Int64(count - index)
                    let (tool, status) = mixed ? mixedTask(index) : ("slow_computation", .completed)
                    let task = TaskRecord(
                        id: TaskID.random(), owner: TaskOwner(session: "fill-\(index % 100)"), kind: .toolCall,
                        target: tool, arguments: ["seconds": 1], status: status,
                        createdAt: createdAt, lastUpdatedAt: createdAt + 1000, ttlMs: 7 * 86_400_000,
                        pollIntervalMs: 500,
                        outcome: .result(["content": [["type": "text", "text": .string("filled task \(index)")]]]),
                        attempt: 1,
                        history: [
                            TaskHistoryEntry(at: createdAt, status: .working, message: nil, attempt: 1),
                            TaskHistoryEntry(at: createdAt + 1000, status: status, message: nil, attempt: 1),
                        ])
                    try await store.insert(task)
                }
            }
        }
        try await group.waitForAll()
    }
    let total = try await store.counts().values.reduce(0, +)
    try await store.close()
    print("filled \(count) tasks in \(clock.now - started); the store holds \(total)")
}

struct ToolError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

let arguments = CommandLine.arguments.dropFirst()
do {
    switch arguments.first {
    case "throughput":
        let count = arguments.dropFirst().first.flatMap { Int($0) } ?? 50_000
        let submitters = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 50
        try await throughput(count: count, submitters: submitters)
    case "store":
        let count = arguments.dropFirst().first.flatMap { Int($0) } ?? 50_000
        let submitters = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 50
        try await storeOnly(count: count, submitters: submitters)
    case "fill":
        guard arguments.count == 3, let count = Int(arguments.last!) else { throw ToolError("usage: fill PATH COUNT") }
        try await fill(path: arguments.dropFirst().first!, count: count)
    case "fill-mixed":
        guard arguments.count == 3, let count = Int(arguments.last!) else {
            throw ToolError("usage: fill-mixed PATH COUNT")
        }
        try await fill(path: arguments.dropFirst().first!, count: count, mixed: true)
    default:
        throw ToolError(
            "usage: ErrandStoreTool throughput [TASKS] [SUBMITTERS] | fill PATH COUNT | fill-mixed PATH COUNT")
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
