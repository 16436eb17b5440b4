import Foundation
import PostgresNIO

/// Where the PostgreSQL database is and how the store uses it.
public struct PostgresClusterStoreConfiguration: Sendable {
    /// Whether and how the connections use TLS, with libpq's `sslmode` names and meanings.
    public enum TLSMode: Sendable, Hashable {
        /// Plain TCP (default, for loopback and private networks).
        case disable
        /// Encrypted, but the server's certificate is not checked: protects against listening, not against a
        /// server in the middle.
        case require
        /// Encrypted; the server's certificate must be signed by the CA in `caFile` (the system's roots when nil),
        /// whatever host name it names.
        case verifyCA(caFile: String?)
        /// Encrypted; the certificate must be signed by the CA and name the host connected to. What to use
        /// across networks.
        case verifyFull(caFile: String?)
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String?
    /// TLS: `?sslmode=disable|require|verify-ca|verify-full` in the URL, with `&sslrootcert=PATH` for the CA.
    public var tls: TLSMode
    /// Most pooled connections this store opens (the `LISTEN` connection comes on top). Default 20.
    public var maximumConnections: Int
    /// The `NOTIFY` channel the nodes share. Default `errand_events`.
    public var channel: String
    /// How long the server lets one statement run before cancelling it (`statement_timeout`; migrations are
    /// exempt). Every statement the store sends takes milliseconds; one that runs this long is stuck behind a lock
    /// or a sick server, and failing it lets the engine retry instead of waiting for ever. Default 30 s;
    /// `?statement_timeout=MS` in the URL.
    public var statementTimeout: Duration
    /// How long to wait for a connection to be established. Default 10 s; `?connect_timeout=SECONDS` in the URL.
    public var connectTimeout: Duration

    /// Whether the connections use TLS at all.
    public var requireTLS: Bool { tls != .disable }

    public init(
        host: String, port: Int = 5432, username: String, password: String? = nil, database: String? = nil,
        tls: TLSMode = .disable, maximumConnections: Int = 20, channel: String = "errand_events",
        statementTimeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.maximumConnections = maximumConnections
        self.channel = channel
        self.statementTimeout = statementTimeout
        self.connectTimeout = connectTimeout
    }

    /// Reads `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMETERS]` (also `postgresql://`). User name and
    /// password may be percent-encoded. Parameters: `sslmode` (`disable`, `require`, `verify-ca`, `verify-full`),
    /// `sslrootcert` (a PEM file of CA certificates), `statement_timeout` (milliseconds), `connect_timeout`
    /// (seconds).
    /// - Throws: ``PostgresClusterStoreError/invalidURL(_:reason:)`` naming what is missing or wrong.
    public init(url text: String) throws(PostgresClusterStoreError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else { throw .invalidURL(text, reason: "the scheme must be postgres://") }
        guard let host = url.host, !host.isEmpty else { throw .invalidURL(text, reason: "no host") }
        guard let user = url.user?.removingPercentEncoding, !user.isEmpty else {
            throw .invalidURL(text, reason: "no user name")
        }
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        if let port = url.port, !(1...65_535).contains(port) { throw .invalidURL(text, reason: "bad port") }
        self.init(
            host: host, port: url.port ?? 5432, username: user, password: url.password?.removingPercentEncoding,
            database: path.isEmpty ? nil : path.removingPercentEncoding)
        var sslmode = "disable"
        var rootCertificate: String?
        for item in url.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode": sslmode = value
            case "sslrootcert": rootCertificate = value.isEmpty ? nil : value
            case "statement_timeout":
                guard let milliseconds = Int64(value), milliseconds > 0 else {
                    throw .invalidURL(text, reason: "statement_timeout must be a positive number of milliseconds")
                }
                statementTimeout = .milliseconds(milliseconds)
            case "connect_timeout":
                guard let seconds = Int64(value), seconds > 0 else {
                    throw .invalidURL(text, reason: "connect_timeout must be a positive number of seconds")
                }
                connectTimeout = .seconds(seconds)
            default:
                throw .invalidURL(text, reason: "unsupported parameter '\(item.name)=\(value)'")
            }
        }
        switch sslmode {
        case "disable": tls = .disable
        case "require": tls = .require
        case "verify-ca": tls = .verifyCA(caFile: rootCertificate)
        case "verify-full": tls = .verifyFull(caFile: rootCertificate)
        default:
            throw .invalidURL(text, reason: "sslmode must be disable, require, verify-ca or verify-full")
        }
        if rootCertificate != nil, !sslmode.hasPrefix("verify-") {
            throw .invalidURL(text, reason: "sslrootcert needs sslmode=verify-ca or verify-full")
        }
    }

    /// The TLS settings for NIOSSL, or nil without TLS.
    func tlsConfiguration() throws -> TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch tls {
        case .disable:
            return nil
        case .require:
            configuration.certificateVerification = .none
        case .verifyCA(let caFile):
            configuration.certificateVerification = .noHostnameVerification
            if let caFile { configuration.trustRoots = .file(caFile) }
        case .verifyFull(let caFile):
            configuration.certificateVerification = .fullVerification
            if let caFile { configuration.trustRoots = .file(caFile) }
        }
        return configuration
    }

    /// What every connection sends at startup: the statement timeout.
    private var startupParameters: [(String, String)] {
        [("statement_timeout", "\(statementTimeout.milliseconds)")]
    }

    /// The pool's configuration.
    func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = try tlsConfiguration().map { .require($0) } ?? .disable
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = max(1, maximumConnections)
        configuration.options.connectTimeout = connectTimeout
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }

    /// The configuration of the dedicated `LISTEN` connection.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            try tlsConfiguration().map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .milliseconds(connectTimeout.milliseconds)
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    fileprivate var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
