import ErrandEngine
import Synchronization

/// The fenced writes of attempts, sent to the database in batches (group commit): while one batch is in flight,
/// the writes that arrive wait and then go together as the next, one statement and one commit for all. A write
/// that finds no batch in flight goes at once.
///
/// A batch holds at most one write per task; a later write of the same task waits for the next batch, so the
/// writes of one task are applied in the order they were made.
final class FencedWriteQueue: Sendable {
    /// One attempt's write (see ``ClusterStore/write(_:lease:change:runAfterMs:)``).
    struct Write: Sendable {
        var record: TaskRecord
        var lease: TaskLease
        var change: ClusterChange
        var runAfterMs: Int64?
    }

    private struct Waiting {
        var write: Write
        var continuation: CheckedContinuation<Bool, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var flushing = false
    }

    private let state = Mutex(State())
    private let maxBatch: Int
    private let execute: @Sendable ([Write]) async throws -> Set<TaskID>

    /// - Parameters:
    ///   - maxBatch: most writes in one batch (at least 1).
    ///   - execute: stores a batch, returns the ids of the tasks it wrote (those whose token still held).
    init(maxBatch: Int, execute: @escaping @Sendable ([Write]) async throws -> Set<TaskID>) {
        self.maxBatch = max(1, maxBatch)
        self.execute = execute
    }

    /// Queues `write`; returns whether it was stored. Throws what storing its batch threw.
    func write(_ write: Write) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state in
                state.waiting.append(Waiting(write: write, continuation: continuation))
                guard !state.flushing else { return false }
                state.flushing = true
                return true
            }
            if start { Task { await self.flush() } }
        }
    }

    private func flush() async {
        while let batch = nextBatch() {
            do {
                let stored = try await execute(batch.map(\.write))
                for waiting in batch {
                    waiting.continuation.resume(returning: stored.contains(waiting.write.record.id))
                }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }

    /// The next batch, or `nil` (and flushing ends) when no write waits.
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
                if batch.count < maxBatch, tasks.insert(waiting.write.record.id).inserted {
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
