#if Postgres
    import ErrandEngine
    import ErrandPostgres
    import ErrandProtocol
    import Logging
    import Testing

    @Suite struct PostgresStoreSchemaTests {
        @Test func reopeningKeepsTasksAndSchema() async throws {
            let database = try await TestDatabase.make()
            let task = makeTask()
            let first = try await database.open()
            try await first.insert(task, origin: "n")
            await first.close()
            let second = try await database.open()
            #expect(try await second.task(task.id) == task)
            await second.close()
            try await database.drop()
        }

        @Test func newerSchemaIsRefused() async throws {
            let database = try await TestDatabase.make()
            let store = try await database.open()
            await store.close()
            try await database.execute("INSERT INTO errand_schema (version, name) VALUES (999, 'from the future')")
            await #expect(throws: PostgresClusterStoreError.newerSchema(databaseVersion: 999, supportedVersion: 5)) {
                _ = try await database.open()
            }
            try await database.drop()
        }

        @Test func unreachableServerFailsToOpen() async throws {
            var configuration = try TestDatabase.serverConfiguration()
            configuration.port = 1
            await #expect(throws: PostgresClusterStoreError.self) {
                _ = try await PostgresClusterStore.open(configuration: configuration, logger: Logger(label: "test"))
            }
        }

        @Test func storeURLIsParsed() throws {
            let full = try PostgresClusterStoreConfiguration(url: "postgres://ann:p%40ss@db.example:6543/tasks")
            #expect(full.host == "db.example")
            #expect(full.port == 6543)
            #expect(full.username == "ann")
            #expect(full.password == "p@ss")
            #expect(full.database == "tasks")
            #expect(!full.requireTLS)
            let short = try PostgresClusterStoreConfiguration(url: "postgresql://bob@localhost/x?sslmode=require")
            #expect(short.port == 5432)
            #expect(short.password == nil)
            #expect(short.requireTLS)
            for bad in ["mysql://a@b/c", "postgres://host/db", "postgres://a@/db", "postgres://a@h/d?x=1", "nonsense"] {
                #expect(throws: PostgresClusterStoreError.self) { try PostgresClusterStoreConfiguration(url: bad) }
            }
        }
    }
#endif
