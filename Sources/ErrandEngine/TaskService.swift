public import ErrandProtocol

/// What the MCP and REST layers need of a task engine. Two implementations:
///
/// - ``TaskEngine``: one process owns its tasks (memory or SQLite store); work runs in that process.
/// - ``ClusterEngine``: any number of processes share one database (PostgreSQL); work is claimed under a lease
///   by whichever node has a free worker slot, and changes made on other nodes arrive on ``events``.
///
/// Every method has the semantics documented on ``TaskEngine``; an implementation must keep them.
public protocol TaskService: Actor {
    /// Every change to a task this node can see, in the order this node learned of it.
    nonisolated var events: EventHub { get }
    /// Worker slots this node has (attempts it runs at once).
    nonisolated var workerSlots: Int { get }

    func start() async throws
    func shutdown() async
    func submit(_ submission: TaskSubmission) async throws(TaskEngineError) -> TaskRecord
    func task(_ id: TaskID, for requester: TaskOwner) async throws(TaskEngineError) -> TaskRecord
    func list(_ query: TaskListQuery, for requester: TaskOwner) async throws(TaskEngineError) -> TaskPage
    func delete(_ id: TaskID, for requester: TaskOwner) async throws(TaskEngineError)
    func cancel(_ id: TaskID, for requester: TaskOwner, reason: String?) async throws(TaskEngineError) -> TaskRecord
    func waitForTerminal(_ id: TaskID, for requester: TaskOwner, timeout: Duration?)
        async throws(TaskEngineError) -> TaskRecord
    func provideInput(taskID: TaskID, requestID: String, response: JSONValue) async throws(TaskEngineError)
    func statistics() async -> TaskStatistics
    /// How many tasks `requester` may see, per target and status, over every node.
    func tally(for requester: TaskOwner) async throws(TaskEngineError) -> TaskTally
    /// The nodes serving the tasks and what each runs (one for a single server).
    func nodes() async throws(TaskEngineError) -> [NodeReport]
    /// Since when (epoch milliseconds) the task store has not answered this node's calls, or `nil` while it
    /// answers. `/readyz` answers 503 meanwhile, and `/metrics` reports `errand_store_reachable 0`.
    func storeUnreachableSinceMs() async -> Int64?
}

extension TaskEngine: TaskService {
    public nonisolated var workerSlots: Int { configuration.maxConcurrentTasks }
}

extension TaskService {
    /// The default for engines whose store is local (a SQLite file, memory): a failed write is retried with the
    /// task and shows there; readiness does not follow it.
    public func storeUnreachableSinceMs() async -> Int64? { nil }

    /// Waits without a time limit (see ``waitForTerminal(_:for:timeout:)``).
    public func waitForTerminal(_ id: TaskID, for requester: TaskOwner) async throws(TaskEngineError) -> TaskRecord {
        try await waitForTerminal(id, for: requester, timeout: nil)
    }

    /// Cancels with the default reason, "Cancelled by request".
    public func cancel(_ id: TaskID, for requester: TaskOwner) async throws(TaskEngineError) -> TaskRecord {
        try await cancel(id, for: requester, reason: nil)
    }
}
