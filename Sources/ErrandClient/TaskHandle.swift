public import ErrandProtocol

/// One task on the server: watch it, wait for it, cancel it, answer its questions.
///
/// A handle is only an id and a client: ``MCPClient/task(_:)`` makes one for any task id, so a program that
/// restarted (or runs on another device) resumes where it left off.
public struct TaskHandle: Sendable {
    public let client: MCPClient
    /// The server's task id.
    public let id: String
    /// What the server answered when this client created the task (`nil` for a handle made from an id).
    public let created: TaskSnapshot?

    init(client: MCPClient, id: String, created: TaskSnapshot?) {
        self.client = client
        self.id = id
        self.created = created
    }

    /// The task's status now (`tasks/get`).
    /// - Throws: ``MCPClientError/rejected(_:)`` (-32602) for an unknown, expired or someone else's task.
    public func status() async throws -> TaskSnapshot { try await client.getTask(id) }

    /// The task's status changes, progress, log lines and questions, in order, starting with its current status
    /// and ending after its terminal status. Push where the server offers it, polling otherwise. A consumer more
    /// than 1,024 updates behind loses the oldest (never the terminal status, which comes last).
    public func updates() -> AsyncThrowingStream<TaskUpdate, any Error> {
        let (stream, continuation) = AsyncThrowingStream<TaskUpdate, any Error>.makeStream(
            bufferingPolicy: .bufferingNewest(1_024))
        let watcher = Task { await TaskWatcher(handle: self, output: continuation).run() }
        continuation.onTermination = { _ in watcher.cancel() }
        return stream
    }

    /// Waits for the task to end (questions on the way are left to other watchers) and returns how it ended.
    public func outcome() async throws -> TaskOutcome {
        var last: TaskSnapshot?
        for try await update in updates() {
            if case .status(let snapshot) = update { last = snapshot }
        }
        guard let last, last.status.isTerminal else {
            throw MCPClientError.protocolViolation("the task's updates ended before it did")
        }
        return try await client.outcome(of: last)
    }

    /// How the task ended, given its terminal snapshot (from ``updates()`` or ``status()``).
    public func outcome(of terminal: TaskSnapshot) async throws -> TaskOutcome {
        try await client.outcome(of: terminal)
    }

    /// Asks the server to cancel the task.
    public func cancel() async throws { try await client.cancelTask(id) }

    /// Answers a question the task asked (an ``TaskUpdate/inputRequested(_:)``), e.g.
    /// `["action": "accept", "content": ["approve": true]]`, or `["action": "decline"]`.
    public func answer(_ request: InputRequest, with response: JSONValue) async throws {
        try await client.answer(request, with: response)
    }
}
