public import ErrandEngine
public import ErrandProtocol
import Synchronization

/// Tasks a running task starts: fan-out and chained work, each a real task of its own — owned by the same
/// principal, linked to its parent (`parentTaskId` in REST and the dashboard), cancelled with it, and awaitable.
///
/// ```swift
/// let parts = try await context.tasks.start(["split_a", "split_b"].map { ("score_batch", ["batch": .string($0)]) })
/// for id in parts { let output = try await context.tasks.result(of: id) … }
/// ```
public struct ChildTasks: Sendable {
    let link: (engine: any TaskService, parent: TaskRecord, started: StartedTasks)?

    /// What a plain call (not a task) gets: starting a task throws.
    public static let unavailable = ChildTasks(link: nil)

    init(engine: any TaskService, parent: TaskRecord) {
        link = (engine, parent, StartedTasks())
    }

    private init(link: (engine: any TaskService, parent: TaskRecord, started: StartedTasks)?) { self.link = link }

    private func linked() throws -> (engine: any TaskService, parent: TaskRecord, started: StartedTasks) {
        guard let link else { throw ToolError("Only a task can start tasks: call this tool as a task") }
        return link
    }

    /// Starts `tool` with `arguments` as a task of its own.
    /// - Returns: the new task's id.
    /// - Throws: ``ToolError`` when the engine refuses it (unknown tool, quota, shutting down).
    @discardableResult
    public func start(_ tool: String, arguments: JSONValue = [:], priority: Int? = nil) async throws -> TaskID {
        let (engine, parent, started) = try linked()
        let submission = TaskSubmission(
            kind: .toolCall, target: tool, arguments: arguments, owner: parent.owner,
            requestedTTLMs: parent.ttlMs, priority: priority ?? parent.priority, parent: parent.id)
        do {
            let record = try await engine.submit(submission)
            started.ids.withLock { $0.append(record.id) }
            return record.id
        } catch {
            throw ToolError("Could not start '\(tool)': \(error.message)")
        }
    }

    /// Waits for task `id` to end and returns its tool output; a failed or cancelled task throws ``ToolError``
    /// with its status message. Cancelling the waiting task stops the wait (not the child).
    public func result(of id: TaskID) async throws -> ToolOutput {
        let (engine, parent, _) = try linked()
        while true {
            try Task.checkCancellation()
            let record: TaskRecord
            do {
                record = try await engine.waitForTerminal(id, for: parent.owner, timeout: .seconds(60))
            } catch {
                throw ToolError("Could not wait for task \(id): \(error.message)")
            }
            guard record.status.isTerminal else { continue }
            switch (record.status, record.outcome) {
            case (.completed, .result(let value)), (.failed, .result(let value)):
                return ToolOutput(callToolResult: value)
            case (_, .error(let error)):
                throw ToolError("Task \(id) (\(record.target)) failed: \(error.message)")
            default:
                throw ToolError(
                    "Task \(id) (\(record.target)) ended \(record.status.rawValue)"
                        + (record.statusMessage.map { ": \($0)" } ?? ""))
            }
        }
    }

    /// Starts `tool` as a task and waits for its output.
    public func run(_ tool: String, arguments: JSONValue = [:]) async throws -> ToolOutput {
        try await result(of: try await start(tool, arguments: arguments))
    }

    /// Cancels the tasks this attempt started that are still running (when the parent is cancelled).
    func cancelStarted() async {
        guard let (engine, parent, started) = link else { return }
        for id in started.ids.withLock({ $0 }) {
            _ = try? await engine.cancel(id, for: parent.owner, reason: "Its parent task \(parent.id) was cancelled")
        }
    }
}

/// The ids of the tasks one attempt started.
final class StartedTasks: Sendable {
    let ids = Mutex<[TaskID]>([])
}

extension ToolOutput {
    /// The output a `CallToolResult` object describes.
    public init(callToolResult value: JSONValue) {
        self.init(
            content: value["content"]?.arrayValue ?? [], structuredContent: value["structuredContent"],
            isError: value["isError"]?.boolValue ?? false)
    }
}

/// Where a ``CatalogRunner`` finds the engine its tools start child tasks on; set once the engine exists (the
/// engine is built around the runner).
public final class EngineReference: Sendable {
    private let engine = Mutex<(any TaskService)?>(nil)
    public init() {}
    public var current: (any TaskService)? { engine.withLock { $0 } }
    public func set(_ service: any TaskService) { engine.withLock { $0 = service } }
}
