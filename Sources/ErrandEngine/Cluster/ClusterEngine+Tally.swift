extension ClusterEngine {
    /// How many tasks `requester` may see, per target and status, over every node (one read of the shared store).
    /// - Throws: `.storage` if the store failed.
    public func tally(for requester: TaskOwner) async throws(TaskEngineError) -> TaskTally {
        do {
            return try await store.tally(visibleTo: requester)
        } catch {
            throw .storage("count tasks", error)
        }
    }
}
