extension TaskEngine {
    /// How many tasks `requester` may see, per target and status, as the store holds them: a status change is
    /// counted once its write is stored (moments after ``statistics()`` counts it).
    /// - Throws: `.storage` if the store failed.
    public func tally(for requester: TaskOwner) async throws(TaskEngineError) -> TaskTally {
        do {
            return try await store.tally(visibleTo: requester)
        } catch {
            throw .storage("count tasks", error)
        }
    }
}
