#if Postgres
    import ErrandEngine
    import Foundation
    import Logging
    import PostgresNIO
    import Testing

    @testable import ErrandPostgres

    /// TLS as libpq's `sslmode` means it, against the test server (scripts/lib/postgres.sh turns TLS on with a
    /// throwaway CA whose server certificate names `localhost` only), and the statement timeout.
    struct PostgresStoreTLSTests {
        static let caVariable = "ERRAND_TEST_POSTGRES_CA"

        /// The CA file; fails the test (it does not skip it) when the variable is missing.
        static func caFile() throws -> String {
            guard let path = ProcessInfo.processInfo.environment[caVariable], !path.isEmpty else {
                Issue.record("\(caVariable) is not set: scripts/lib/postgres.sh makes the CA of the test server")
                throw TestDatabase.MissingServer()
            }
            return path
        }

        /// Opens and closes a store with `tls`, connecting to `host`; rethrows what opening threw.
        static func open(tls: PostgresClusterStoreConfiguration.TLSMode, host: String) async throws {
            var configuration = try TestDatabase.serverConfiguration()
            configuration.host = host
            configuration.tls = tls
            configuration.connectTimeout = .seconds(5)
            let store = try await PostgresClusterStore.open(configuration: configuration, logger: Logger(label: "test"))
            await store.close()
        }

        @Test func verifyFullWithTheServersCAConnectsToTheHostItsCertificateNames() async throws {
            try await Self.open(tls: .verifyFull(caFile: try Self.caFile()), host: "localhost")
        }

        @Test func verifyFullRefusesAHostTheCertificateDoesNotName() async throws {
            let caFile = try Self.caFile()
            await #expect(throws: PostgresClusterStoreError.self) {
                try await Self.open(tls: .verifyFull(caFile: caFile), host: "127.0.0.1")
            }
        }

        @Test func verifyFullRefusesACertificateFromAnUnknownCA() async throws {
            _ = try Self.caFile()
            await #expect(throws: PostgresClusterStoreError.self) {
                try await Self.open(tls: .verifyFull(caFile: nil), host: "localhost")  // the system's roots
            }
        }

        @Test func verifyCAAcceptsTheCAWhateverTheHostName() async throws {
            try await Self.open(tls: .verifyCA(caFile: try Self.caFile()), host: "127.0.0.1")
        }

        @Test func requireEncryptsWithoutCheckingTheCertificate() async throws {
            _ = try Self.caFile()
            try await Self.open(tls: .require, host: "127.0.0.1")
        }

        @Test func aStatementThatRunsPastTheTimeoutIsCancelledByTheServer() async throws {
            var configuration = try TestDatabase.serverConfiguration()
            configuration.statementTimeout = .milliseconds(200)
            let store = try await PostgresClusterStore.open(configuration: configuration, logger: Logger(label: "test"))
            let logger = Logger(label: "test")
            let shown = try await store.client.query("SHOW statement_timeout", logger: logger)
            var setting = ""
            for try await row in shown { setting = try row.decode(String.self) }
            #expect(setting == "200ms")
            await #expect(throws: PSQLError.self) {
                for try await _ in try await store.client.query("SELECT pg_sleep(5)", logger: logger) {}
            }
            await store.close()
        }

        @Test func urlParametersSetTLSAndTimeouts() throws {
            let verified = try PostgresClusterStoreConfiguration(
                url: "postgres://a@db/x?sslmode=verify-full&sslrootcert=/etc/ca.pem&statement_timeout=1500"
                    + "&connect_timeout=3")
            #expect(verified.tls == .verifyFull(caFile: "/etc/ca.pem"))
            #expect(verified.statementTimeout == .milliseconds(1500))
            #expect(verified.connectTimeout == .seconds(3))
            #expect(
                try PostgresClusterStoreConfiguration(url: "postgres://a@db/x?sslmode=verify-ca").tls
                    == .verifyCA(caFile: nil))
            let defaults = try PostgresClusterStoreConfiguration(url: "postgres://a@db/x")
            #expect(defaults.tls == .disable)
            #expect(defaults.statementTimeout == .seconds(30))
            for bad in [
                "postgres://a@db/x?sslmode=prefer", "postgres://a@db/x?sslmode=require&sslrootcert=/ca.pem",
                "postgres://a@db/x?statement_timeout=0", "postgres://a@db/x?connect_timeout=soon",
            ] {
                #expect(throws: PostgresClusterStoreError.self) { try PostgresClusterStoreConfiguration(url: bad) }
            }
        }

        @Test func aBadURLsMessageDoesNotShowThePassword() {
            let error = PostgresClusterStoreError.invalidURL("postgres://ann:s3cret@db/x?x=1", reason: "nope")
            #expect(!error.description.contains("s3cret"))
            #expect(error.description.contains("postgres://ann:***@db/x?x=1"))
        }
    }
#endif
