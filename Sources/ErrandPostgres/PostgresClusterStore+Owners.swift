public import ErrandEngine
import PostgresNIO

// Per-owner limits (`errand_owners`) and the owner's queued count, for ``OwnerLimits``.
extension PostgresClusterStore {
    /// Reads `errand_tasks_owner_queue` only.
    public func queuedCount(ownerKey: String) async throws -> Int {
        let rows = try await rows(
            "SELECT count(*) FROM errand_tasks WHERE owner_key = \(ownerKey) AND status = 'queued'")
        do {
            return Int(try rows.first?.decode(Int64.self) ?? 0)
        } catch {
            throw PostgresClusterStoreError.database("a queued count returned no number: \(error)")
        }
    }

    /// Keeps the owner's turn; claims read the limits (see ``claim(node:limit:nowMs:leaseMs:)``).
    public func setOwnerLimits(_ limits: OwnerLimits, ownerKey: String) async throws {
        let concurrent = limits.concurrentTasks.map(Int64.init)
        let queued = limits.queuedTasks.map(Int64.init)
        _ = try await committedRows(
            """
            INSERT INTO errand_owners (owner_key, concurrent_tasks, queued_tasks)
            VALUES (\(ownerKey), \(concurrent), \(queued))
            ON CONFLICT (owner_key) DO UPDATE
                SET concurrent_tasks = excluded.concurrent_tasks, queued_tasks = excluded.queued_tasks
            """)
    }
}
