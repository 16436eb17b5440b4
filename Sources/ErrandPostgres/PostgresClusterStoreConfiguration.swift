import Foundation
import PostgresNIO

/// Where the PostgreSQL database is and how the store uses it.
public struct PostgresClusterStoreConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String?
    /// Whether to use TLS: `disable` (default, for loopback and private networks) or `require`
    /// (`?sslmode=require` in the URL).
    public var requireTLS: Bool
    /// Most pooled connections this store opens (the `LISTEN` connection comes on top). Default 20.
    public var maximumConnections: Int
    /// The `NOTIFY` channel the nodes share. Default `errand_events`.
    public var channel: String

    public init(
        host: String, port: Int = 5432, username: String, password: String? = nil, database: String? = nil,
        requireTLS: Bool = false, maximumConnections: Int = 20, channel: String = "errand_events"
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.requireTLS = requireTLS
        self.maximumConnections = maximumConnections
        self.channel = channel
    }

    /// Reads `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|require]` (also `postgresql://`).
    /// User name and password may be percent-encoded.
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
        var requireTLS = false
        for item in url.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("sslmode", "disable"): requireTLS = false
            case ("sslmode", "require"): requireTLS = true
            default:
                throw .invalidURL(text, reason: "unsupported parameter '\(item.name)=\(item.value ?? "")'")
            }
        }
        if let port = url.port, !(1...65_535).contains(port) { throw .invalidURL(text, reason: "bad port") }
        self.init(
            host: host, port: url.port ?? 5432, username: user, password: url.password?.removingPercentEncoding,
            database: path.isEmpty ? nil : path.removingPercentEncoding, requireTLS: requireTLS)
    }

    /// The pool's configuration.
    func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = requireTLS ? .require(.makeClientConfiguration()) : .disable
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = max(1, maximumConnections)
        return configuration
    }

    /// The configuration of the dedicated `LISTEN` connection.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        return PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
    }
}
