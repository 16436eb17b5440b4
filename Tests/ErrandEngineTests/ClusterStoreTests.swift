import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Testing

/// The ``ClusterStore`` contract (``ClusterStoreContract``, shared with the PostgreSQL store's tests), as
/// ``MemoryClusterStore`` keeps it, and what only the memory store has.
@Suite struct ClusterStoreTests {
    @Test(arguments: ClusterStoreContract.allCases) func contract(_ contractCase: ClusterStoreContract) async throws {
        try await contractCase.run(on: MemoryClusterStore())
    }

    @Test func aDuplicateIDIsRefusedByName() async throws {
        let store = MemoryClusterStore()
        let record = queuedRecord()
        try await store.insert(record, origin: "A")
        await #expect(throws: MemoryClusterStoreError.duplicateID(record.id)) {
            try await store.insert(record, origin: "B")
        }
    }

    @Test func resynchronizeReachesEveryNodeAndCloseEndsTheirStreams() async throws {
        let store = MemoryClusterStore()
        let toA = store.signals(node: "A")
        let toB = store.signals(node: "B")
        let record = queuedRecord()
        try await store.insert(record, origin: "A")
        store.resynchronize()
        store.close()
        #expect(await collect(toA) == [.resynchronize])
        #expect(await collect(toB) == [.changed(record.id, .created, status: .queued), .wake, .resynchronize])
    }
}
