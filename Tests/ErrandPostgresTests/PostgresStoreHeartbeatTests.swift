#if Postgres
    import ErrandEngine
    import ErrandPostgres
    import Testing

    /// Node heartbeats in `errand_nodes`: the cluster view's list of nodes, idle ones included.
    struct PostgresStoreHeartbeatTests {
        @Test func theLatestHeartbeatOfEachNodeIsKeptUntilItIsRemoved() async throws {
            try await withStore { store, _ in
                try await store.recordHeartbeat(NodeHeartbeat(node: "w1", workerSlots: 4, running: 0, seenAtMs: 1_000))
                try await store.recordHeartbeat(NodeHeartbeat(node: "w2", workerSlots: 8, running: 3, seenAtMs: 1_500))
                try await store.recordHeartbeat(NodeHeartbeat(node: "w1", workerSlots: 4, running: 2, seenAtMs: 2_000))
                #expect(
                    try await store.heartbeats(seenAfterMs: 0) == [
                        NodeHeartbeat(node: "w1", workerSlots: 4, running: 2, seenAtMs: 2_000),
                        NodeHeartbeat(node: "w2", workerSlots: 8, running: 3, seenAtMs: 1_500),
                    ])
                #expect(try await store.heartbeats(seenAfterMs: 1_500).map(\.node) == ["w1"])  // w2 went quiet
                try await store.removeHeartbeat(node: "w1")
                #expect(try await store.heartbeats(seenAfterMs: 0).map(\.node) == ["w2"])
            }
        }
    }
#endif
