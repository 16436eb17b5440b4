#if Postgres
    import ErrandEngine
    import ErrandTestSupport
    import Testing

    /// The ``ClusterStore`` contract the memory store's tests run (``ClusterStoreContract``), on PostgreSQL: each
    /// case on a fresh database.
    @Suite struct PostgresStoreContractTests {
        @Test(arguments: ClusterStoreContract.allCases)
        func contract(_ contractCase: ClusterStoreContract) async throws {
            try await withStore { store, _ in try await contractCase.run(on: store) }
        }
    }
#endif
