import ErrandEngine
import Synchronization

/// Statements of many callers sent to the database together (group commit): items that arrive while batches are
/// in flight wait and then go together as the next, one statement and one commit for all. Up to `maxInFlight`
/// batches are in flight at once (PostgreSQL flushes the WAL of concurrent commits together, so a second batch
/// costs little more fsync than one); an item that finds a batch slot free goes at once, so a lone caller waits
/// for nothing but its own statement.
///
/// A batch holds at most one item per task, and an item waits while an earlier item of its task is in flight: the
/// items of one task are applied in the order they were made. The store uses one queue for new tasks and one for
/// the fenced writes of attempts.
final class GroupCommitQueue<Item: Sendable, Outcome: Sendable>: Sendable {
    private struct Waiting {
        var item: Item
        var taskID: TaskID
        var continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        /// Batches being stored now (each by its own flusher).
        var flushers = 0
        /// Tasks with an item in flight.
        var busy: Set<TaskID> = []
    }

    private let state = Mutex(State())
    private let maxBatch: Int
    private let maxInFlight: Int
    private let taskID: @Sendable (Item) -> TaskID
    private let execute: @Sendable ([Item]) async throws -> [Outcome]

    /// - Parameters:
    ///   - maxBatch: most items in one batch (at least 1).
    ///   - maxInFlight: most batches in flight at once (at least 1).
    ///   - taskID: the task an item belongs to.
    ///   - execute: stores a batch and returns each item's outcome, in the batch's order and as many.
    init(
        maxBatch: Int, maxInFlight: Int = 1, taskID: @escaping @Sendable (Item) -> TaskID,
        execute: @escaping @Sendable ([Item]) async throws -> [Outcome]
    ) {
        self.maxBatch = max(1, maxBatch)
        self.maxInFlight = max(1, maxInFlight)
        self.taskID = taskID
        self.execute = execute
    }

    /// Queues `item`; returns its outcome once its batch is stored. Throws what storing its batch threw.
    func submit(_ item: Item) async throws -> Outcome {
        let id = taskID(item)
        return try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state in
                state.waiting.append(Waiting(item: item, taskID: id, continuation: continuation))
                guard state.flushers < maxInFlight else { return false }
                state.flushers += 1
                return true
            }
            if start { Task { await self.flush() } }
        }
    }

    /// Items waiting for a batch (not those in flight).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Stores batches until none can go; then this flusher ends (one still running picks up what its own
    /// batch held back).
    private func flush() async {
        while let batch = nextBatch() {
            do {
                let outcomes = try await execute(batch.map(\.item))
                guard outcomes.count == batch.count else {
                    throw PostgresClusterStoreError.database(
                        "a batch of \(batch.count) statements returned \(outcomes.count) outcomes")
                }
                finished(batch)
                for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(returning: outcome) }
            } catch {
                finished(batch)
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }

    private func finished(_ batch: [Waiting]) {
        state.withLock { state in
            for waiting in batch { state.busy.remove(waiting.taskID) }
        }
    }

    /// The next batch: waiting items, oldest first, whose task has no item in flight or earlier in the batch.
    /// `nil` (and this flusher ends) when there is none.
    private func nextBatch() -> [Waiting]? {
        state.withLock { state in
            var batch: [Waiting] = []
            var later: [Waiting] = []
            for waiting in state.waiting {
                if batch.count < maxBatch, !state.busy.contains(waiting.taskID) {
                    state.busy.insert(waiting.taskID)
                    batch.append(waiting)
                } else {
                    later.append(waiting)
                }
            }
            state.waiting = later
            guard !batch.isEmpty else {
                state.flushers -= 1
                return nil
            }
            return batch
        }
    }
}
