#if Postgres
    import ErrandEngine
    import ErrandPostgres
    import ErrandProtocol
    import Foundation
    import Logging
    import PostgresNIO
    import Synchronization
    import Testing

    /// A fresh database per test on the server `ERRAND_TEST_POSTGRES_URL` names, dropped at the end; tests run in
    /// parallel and never see each other's rows or signals (`NOTIFY` is per database).
    struct TestDatabase {
        static let variable = "ERRAND_TEST_POSTGRES_URL"

        var name: String
        var configuration: PostgresClusterStoreConfiguration
        private var admin: PostgresClusterStoreConfiguration

        /// The server's configuration. Fails the test (it does not skip it) when the variable is missing: a build
        /// with the `Postgres` trait must run these tests against a real server.
        static func serverConfiguration() throws -> PostgresClusterStoreConfiguration {
            guard let url = ProcessInfo.processInfo.environment[variable], !url.isEmpty else {
                Issue.record(
                    "\(variable) is not set: the PostgreSQL store tests need a server (scripts/test-postgres.sh starts one)"
                )
                throw MissingServer()
            }
            return try PostgresClusterStoreConfiguration(url: url)
        }

        struct MissingServer: Error {}

        /// Creates an empty database with a random name.
        static func make() async throws -> TestDatabase {
            let admin = try serverConfiguration()
            let name = "errand_test_" + UUID().uuidString.lowercased().replacing("-", with: "")
            try await Self.execute("CREATE DATABASE \(name)", on: admin)
            var configuration = admin
            configuration.database = name
            configuration.maximumConnections = 8
            return TestDatabase(name: name, configuration: configuration, admin: admin)
        }

        /// Opens a store on this database.
        func open() async throws -> PostgresClusterStore {
            try await PostgresClusterStore.open(configuration: configuration, logger: Logger(label: "test"))
        }

        /// Runs `sql` on this database (a raw connection, not through the store).
        func execute(_ sql: String) async throws { try await Self.execute(sql, on: configuration) }

        /// Drops the database, closing whatever still connects to it.
        func drop() async throws { try await Self.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: admin) }

        private static func execute(_ sql: String, on configuration: PostgresClusterStoreConfiguration) async throws {
            let connection = try await PostgresConnection.connect(
                configuration: .init(
                    host: configuration.host, port: configuration.port, username: configuration.username,
                    password: configuration.password, database: configuration.database, tls: .disable),
                id: 1, logger: Logger(label: "test"))
            do {
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test"))
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        }
    }

    /// Runs `body` with a fresh database and a store opened on it; closes the store and drops the database after.
    func withStore(_ body: (PostgresClusterStore, TestDatabase) async throws -> Void) async throws {
        let database = try await TestDatabase.make()
        let store = try await database.open()
        do {
            try await body(store, database)
        } catch {
            await store.close()
            try? await database.drop()
            throw error
        }
        await store.close()
        try await database.drop()
    }

    /// A queued task created at `createdAt`.
    func makeTask(
        createdAt: Int64 = 1_000, priority: Int = 0, owner: TaskOwner = .anonymous, target: String = "echo",
        ttlMs: Int64? = nil
    ) -> TaskRecord {
        TaskRecord(
            id: .random(), owner: owner, kind: .toolCall, target: target, arguments: ["text": "hi"], status: .queued,
            createdAt: createdAt, lastUpdatedAt: createdAt, ttlMs: ttlMs, pollIntervalMs: 1_000, priority: priority,
            history: [TaskHistoryEntry(at: createdAt, status: .queued, message: nil, attempt: 0)])
    }

    /// An array that concurrent tasks append to.
    final class SharedArray<Element: Sendable>: Sendable {
        private let elements = Mutex<[Element]>([])
        func append(contentsOf more: [Element]) { elements.withLock { $0 += more } }
        var all: [Element] { elements.withLock { $0 } }
    }

    /// Collects the signals of one stream, so a test can wait for one to arrive.
    final class SignalRecorder: Sendable {
        private let received = SharedArray<ClusterSignal>()
        private let task: Task<Void, Never>

        init(_ stream: AsyncStream<ClusterSignal>) {
            let received = self.received
            task = Task { for await signal in stream { received.append(contentsOf: [signal]) } }
        }

        deinit { task.cancel() }

        var signals: [ClusterSignal] { received.all }

        /// Waits (up to 10 s, a generous bound, not a latency check) until a received signal matches.
        func wait(for predicate: (ClusterSignal) -> Bool) async -> Bool {
            await waitUntil { $0.contains(where: predicate) }
        }

        /// Waits (up to 10 s) until the signals received so far, in order, satisfy `condition`.
        func waitUntil(_ condition: ([ClusterSignal]) -> Bool) async -> Bool {
            for _ in 0..<1_000 {
                if condition(signals) { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return false
        }
    }
#endif
