import ErrandEngine
import Synchronization

/// Statements of many callers sent to the database together (group commit): while one batch is in flight, the
/// items that arrive wait and then go together as the next, one statement and one commit for all. An item that
/// finds no batch in flight goes at once, so a lone caller waits for nothing but its own statement.
///
/// A batch holds at most one item per task; a later item of the same task waits for the next batch, so the items
/// of one task are applied in the order they were made. The store uses one queue for new tasks and one for the
/// fenced writes of attempts.
final class GroupCommitQueue<Item: Sendable, Outcome: Sendable>: Sendable {
    private struct Waiting {
        var item: Item
        var continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var flushing = false
    }

    private let state = Mutex(State())
    private let maxBatch: Int
    private let taskID: @Sendable (Item) -> TaskID
    private let execute: @Sendable ([Item]) async throws -> [Outcome]

    /// - Parameters:
    ///   - maxBatch: most items in one batch (at least 1).
    ///   - taskID: the task an item belongs to.
    ///   - execute: stores a batch and returns each item's outcome, in the batch's order and as many.
    init(
        maxBatch: Int, taskID: @escaping @Sendable (Item) -> TaskID,
        execute: @escaping @Sendable ([Item]) async throws -> [Outcome]
    ) {
        self.maxBatch = max(1, maxBatch)
        self.taskID = taskID
        self.execute = execute
    }

    /// Queues `item`; returns its outcome once its batch is stored. Throws what storing its batch threw.
    func submit(_ item: Item) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state in
                state.waiting.append(Waiting(item: item, continuation: continuation))
                guard !state.flushing else { return false }
                state.flushing = true
                return true
            }
            if start { Task { await self.flush() } }
        }
    }

    /// Items waiting for a batch (not those in flight).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    private func flush() async {
        while let batch = nextBatch() {
            do {
                let outcomes = try await execute(batch.map(\.item))
                guard outcomes.count == batch.count else {
                    throw PostgresClusterStoreError.database(
                        "a batch of \(batch.count) statements returned \(outcomes.count) outcomes")
                }
                for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(returning: outcome) }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }

    /// The next batch, or `nil` (and flushing ends) when no item waits.
    private func nextBatch() -> [Waiting]? {
        state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.flushing = false
                return nil
            }
            var batch: [Waiting] = []
            var tasks: Set<TaskID> = []
            var later: [Waiting] = []
            for waiting in state.waiting {
                if batch.count < maxBatch, tasks.insert(taskID(waiting.item)).inserted {
                    batch.append(waiting)
                } else {
                    later.append(waiting)
                }
            }
            state.waiting = later
            return batch
        }
    }
}
