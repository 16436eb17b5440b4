// CONTRACT STUB — the engine helper replaces this file with the real implementation.
public import ErrandProtocol
public import Logging

/// Owns every task: submission, scheduling, execution, cancellation, waiting, TTL reaping.
public actor TaskEngine {
    /// Every change, fanned out to any number of subscribers.
    public nonisolated let events: EventHub

    public init(
        store: any TaskStore, runner: any TaskRunner, configuration: TaskEngineConfiguration = .init(),
        clock: any EngineClock = SystemEngineClock(), logger: Logger = Logger(label: "errand.engine")
    ) {
        self.events = EventHub(replayWindow: configuration.replayWindow)
        fatalError("contract stub")
    }

    /// Recovers unfinished tasks from the store and starts the reaper.
    public func start() async throws {}

    /// Stops taking work, cancels running attempts, stops the reaper.
    public func shutdown() async {}

    /// Creates a task in `working` (or `queued`) and schedules it. Returns at once.
    public func submit(_ submission: TaskSubmission) async throws(TaskEngineError) -> TaskRecord {
        fatalError("contract stub")
    }

    /// The task, if `requester` may see it; else `.notFound`.
    public func task(_ id: TaskID, for requester: TaskOwner) async throws(TaskEngineError) -> TaskRecord {
        fatalError("contract stub")
    }

    /// Waits until the task is terminal (or `timeout` passes) and returns it as it is then.
    public func waitForTerminal(_ id: TaskID, for requester: TaskOwner, timeout: Duration? = nil)
        async throws(TaskEngineError) -> TaskRecord
    {
        fatalError("contract stub")
    }

    /// Cancels a non-terminal task: the status is `cancelled` when this returns and the work is stopped.
    public func cancel(_ id: TaskID, for requester: TaskOwner, reason: String? = nil)
        async throws(TaskEngineError) -> TaskRecord
    {
        fatalError("contract stub")
    }

    /// A page of the tasks `query` selects that `requester` may see, newest first.
    public func list(_ query: TaskListQuery, for requester: TaskOwner) async throws(TaskEngineError) -> TaskPage {
        fatalError("contract stub")
    }

    /// Deletes a terminal task and its result.
    public func delete(_ id: TaskID, for requester: TaskOwner) async throws(TaskEngineError) {
        fatalError("contract stub")
    }

    /// Answers an input request a running task made (see ``TaskContext/requestInput(_:)``).
    public func provideInput(taskID: TaskID, requestID: String, response: JSONValue) async throws(TaskEngineError) {
        fatalError("contract stub")
    }

    /// Counts for metrics and readiness.
    public func statistics() -> TaskStatistics { fatalError("contract stub") }
}

public struct TaskStatistics: Sendable {
    public var byStatus: [TaskStatus: Int]
    public var running: Int
    public var queued: Int
    public init(byStatus: [TaskStatus: Int], running: Int, queued: Int) {
        self.byStatus = byStatus
        self.running = running
        self.queued = queued
    }
}

public struct SystemEngineClock: EngineClock {
    public init() {}
    public func nowMs() -> Int64 { fatalError("contract stub") }
}

/// Fans events out to subscribers without ever blocking the publisher; keeps a replay window.
public final class EventHub: Sendable {
    public init(replayWindow: Int) {}
    /// Stamps the next sequence number on the change and delivers it to every subscriber.
    @discardableResult
    public func publish(_ change: TaskEvent.Change, task: TaskRecord) -> TaskEvent { fatalError("contract stub") }
    /// Subscribes `handler` (called synchronously on the publisher's thread: it must not block). If `after`
    /// is given, returns the events after that sequence number that are still in the window — atomically with
    /// the subscription, so nothing is missed or doubled — or `nil` if some have already fallen out.
    public func subscribe(after: UInt64? = nil, _ handler: @escaping @Sendable (TaskEvent) -> Void) -> (
        replay: [TaskEvent]?, subscription: EventSubscription
    ) { fatalError("contract stub") }
    public var lastSequence: UInt64 { 0 }
    public var subscriberCount: Int { 0 }
}

public final class EventSubscription: Sendable {
    public func cancel() {}
}

/// Where tasks are kept. Implementations: memory, SQLite, PostgreSQL.
public protocol TaskStore: Sendable {
    func insert(_ task: TaskRecord) async throws
    func update(_ task: TaskRecord) async throws
    func task(_ id: TaskID) async throws -> TaskRecord?
    func delete(_ ids: [TaskID]) async throws
}
