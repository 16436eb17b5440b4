public import ErrandEngine
import ErrandProtocol
public import Logging
import PostgresNIO

/// A ``ClusterStore`` in PostgreSQL (through postgres-nio): any number of `errand serve` nodes and `errand worker`
/// processes share one database.
///
/// - Tasks live in `errand_tasks`: the fields queries filter and sort on as columns, the rest of the record as a
///   versioned `bytea` (the shared ``TaskRecordCodec`` body). Open input requests live in `errand_input_requests`.
/// - Claims take rows with `FOR UPDATE SKIP LOCKED`, so concurrent claimers never wait for or share a task; each
///   claim draws a fencing token from the `errand_fence` sequence, and every write of an attempt is an `UPDATE`
///   guarded by that token.
/// - The final writes (and progress) of attempts running at once go out together: one statement and one commit
///   per batch (a ``GroupCommitQueue``), each row still guarded by its own token. New tasks submitted at once
///   are inserted the same way, the owner's quota checked in the same statement.
/// - Every write sends its ``ClusterSignal``s with `pg_notify` in the same statement or transaction, so a signal
///   is delivered if and only if the write committed. One dedicated connection `LISTEN`s; it reconnects with
///   backoff and then yields ``ClusterSignal/resynchronize``.
/// - The schema is created and upgraded by numbered migrations recorded in `errand_schema`; a database migrated by
///   a newer Errand is refused.
///
/// Open with ``open(configuration:logger:)``; call ``close()`` when done (it ends the signal streams).
public final class PostgresClusterStore: ClusterStore {
    let client: PostgresClient
    let configuration: PostgresClusterStoreConfiguration
    let logger: Logger
    let listener: PostgresSignalListener
    let writes: GroupCommitQueue<FencedWrite, Bool>
    let inserts: GroupCommitQueue<NewTask, InsertOutcome>
    let tableStatistics: TableStatistics
    private let clientTask: Task<Void, Never>

    private init(
        client: PostgresClient, configuration: PostgresClusterStoreConfiguration, logger: Logger,
        listener: PostgresSignalListener, clientTask: Task<Void, Never>, analyzedRows: Int
    ) {
        self.client = client
        self.tableStatistics = TableStatistics(analyzedRows: analyzedRows)
        self.configuration = configuration
        self.logger = logger
        self.listener = listener
        self.clientTask = clientTask
        let channel = configuration.channel
        let deadline = configuration.callTimeout
        // One batch of each kind in flight: what arrives meanwhile goes in the next, larger one. Two in flight
        // made batches half the size and cost a fifth more CPU per task on both sides (docs/operations.md).
        self.writes = GroupCommitQueue(maxBatch: 256, maxInFlight: 1, taskID: \.record.id) { batch in
            try await Self.storeFencedWrites(
                batch, client: client, channel: channel, logger: logger, deadline: deadline)
        }
        self.inserts = GroupCommitQueue(maxBatch: 256, maxInFlight: 1, taskID: \.task.id) { batch in
            try await Self.storeNewTasks(batch, client: client, channel: channel, logger: logger, deadline: deadline)
        }
    }

    /// Connects to the database, migrates it to the current schema and starts listening for signals.
    /// - Parameters:
    ///   - configuration: where the database is (see ``PostgresClusterStoreConfiguration/init(url:)``).
    ///   - logger: where the store logs connection losses and migrations.
    /// - Throws: ``PostgresClusterStoreError``: `.newerSchema` if a newer Errand migrated the database,
    ///   `.database` if it cannot be reached or a migration failed. Nothing is left running on failure.
    public static func open(
        configuration: PostgresClusterStoreConfiguration, logger: Logger = Logger(label: "errand.postgres")
    ) async throws(PostgresClusterStoreError) -> PostgresClusterStore {
        let client: PostgresClient
        let connectionConfiguration: PostgresConnection.Configuration
        do {
            client = PostgresClient(configuration: try configuration.clientConfiguration(), backgroundLogger: logger)
            connectionConfiguration = try configuration.connectionConfiguration()
        } catch {
            throw .database("cannot configure the connection: \(error)")
        }
        let clientTask = Task { await client.run() }
        let analyzedRows: Int
        let listener = PostgresSignalListener(
            configuration: connectionConfiguration, channel: configuration.channel, logger: logger)
        do {
            // Listen first: its one direct connection fails fast when the server cannot be reached, whereas the
            // pool would keep retrying in the background.
            try await listener.start()
            try await PostgresMigrator(client: client, logger: logger).migrate()
            analyzedRows = try await Self.analyzedRows(
                client: client, logger: logger, deadline: configuration.callTimeout)
        } catch {
            await listener.stop()
            clientTask.cancel()
            await clientTask.value
            throw error
        }
        logger.info(
            "opened the PostgreSQL task store",
            metadata: ["host": "\(configuration.host)", "database": "\(configuration.database ?? "")"])
        return PostgresClusterStore(
            client: client, configuration: configuration, logger: logger, listener: listener, clientTask: clientTask,
            analyzedRows: analyzedRows)
    }

    /// Stops listening, ends every signal stream and closes the connections. Calls after this fail.
    public func close() async {
        await listener.stop()
        clientTask.cancel()
        await clientTask.value
    }

    public func signals(node: String) -> AsyncStream<ClusterSignal> {
        listener.subscribe(node: ClusterSignalPayload.sanitizedNode(node))
    }
}

// MARK: - Running statements

extension PostgresClusterStore {
    /// Every row `query` returns; for reads (a statement that writes uses ``committedRows(_:)-(PostgresQuery)``).
    func rows(_ query: PostgresQuery) async throws(PostgresClusterStoreError) -> [PostgresRow] {
        try await Self.rows(client: client, logger: logger, deadline: configuration.callTimeout, query)
    }

    /// Every row `query` returns, on a connection of `client`'s pool, within `deadline`.
    static func rows(client: PostgresClient, logger: Logger, deadline: Duration, _ query: PostgresQuery)
        async throws(PostgresClusterStoreError) -> [PostgresRow]
    {
        do {
            return try await withDeadline(deadline) {
                var rows: [PostgresRow] = []
                for try await row in try await client.query(query, logger: logger) { rows.append(row) }
                return rows
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Every row a prepared `statement` returns, decoded.
    func rows<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws(PostgresClusterStoreError)
        -> [Statement.Row] where Statement.Row: Sendable
    {
        try await Self.rows(client: client, logger: logger, deadline: configuration.callTimeout, statement)
    }

    /// Every row a prepared `statement` returns, decoded, on a connection of `client`'s pool (which prepares it
    /// once per connection), within `deadline`.
    static func rows<Statement: PostgresPreparedStatement>(
        client: PostgresClient, logger: Logger, deadline: Duration, _ statement: Statement
    ) async throws(PostgresClusterStoreError) -> [Statement.Row] where Statement.Row: Sendable {
        do {
            return try await withDeadline(deadline) {
                var rows: [Statement.Row] = []
                for try await row in try await client.execute(statement, logger: logger) { rows.append(row) }
                return rows
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Every row a statement that writes returns, once its transaction committed.
    ///
    /// PostgreSQL sends a statement's rows and CommandComplete before it commits the statement's implicit
    /// transaction, and postgres-nio ends the call there: a commit that then fails (or a crash before the commit is
    /// flushed) would lose a write the caller was told was stored. In an explicit transaction the answer to
    /// `COMMIT` comes after the commit, so a write returns only once it is durable.
    func committedRows(_ query: PostgresQuery) async throws(PostgresClusterStoreError) -> [PostgresRow] {
        let logger = logger
        return try await transaction { connection in try await connection.rows(query, logger: logger) }
    }

    /// Every row a prepared `statement` that writes returns, decoded, once its transaction committed (see
    /// ``committedRows(_:)-(PostgresQuery)``).
    func committedRows<Statement: PostgresPreparedStatement>(_ statement: Statement)
        async throws(PostgresClusterStoreError) -> [Statement.Row] where Statement.Row: Sendable
    {
        try await Self.committedRows(client: client, logger: logger, deadline: configuration.callTimeout, statement)
    }

    /// Every row a prepared `statement` that writes returns, decoded, once its transaction committed, on a
    /// connection of `client`'s pool (which prepares it once per connection), within `deadline`.
    static func committedRows<Statement: PostgresPreparedStatement>(
        client: PostgresClient, logger: Logger, deadline: Duration, _ statement: Statement
    ) async throws(PostgresClusterStoreError) -> [Statement.Row] where Statement.Row: Sendable {
        try await transaction(client: client, logger: logger, deadline: deadline) { connection in
            try await connection.rows(statement, logger: logger)
        }
    }

    /// Runs `body` in one transaction on one connection: committed if it returns, rolled back if it throws or the
    /// call runs past ``PostgresClusterStoreConfiguration/callTimeout``.
    func transaction<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws(PostgresClusterStoreError) -> Result {
        try await Self.transaction(client: client, logger: logger, deadline: configuration.callTimeout, body)
    }

    /// Runs `body` in one transaction on a connection of `client`'s pool: committed if it returns, rolled back if
    /// it throws or the call runs past `deadline`.
    static func transaction<Result: Sendable>(
        client: PostgresClient, logger: Logger, deadline: Duration,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws(PostgresClusterStoreError) -> Result {
        do {
            return try await withDeadline(deadline) {
                try await client.withConnection { connection in try await connection.inTransaction(logger: logger, body)
                }
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Runs `work`, or throws `.database("no answer …")` once `deadline` passes and cancels it: a call waiting for a
    /// pooled connection while the database is down leaves the pool's queue instead of waiting for it to come back.
    static func withDeadline<Result: Sendable>(
        _ deadline: Duration, _ work: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Result.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: deadline)
                throw PostgresClusterStoreError.database("no answer within \(deadline); is the database reachable?")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }

    /// Our error for what postgres-nio or a transaction body threw, with the server's message.
    static func mapped(_ error: any Error) -> PostgresClusterStoreError {
        if let error = error as? PostgresClusterStoreError { return error }
        if let error = error as? PostgresTransactionError {
            if let inner = error.closureError { return mapped(inner) }
            if let inner = error.beginError ?? error.commitError { return mapped(inner) }
        }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return .database(message) }
            if let underlying = error.underlying { return .database("\(error.code): \(underlying)") }
            return .database("\(error.code)")
        }
        return .database(String(describing: error))
    }
}

extension PostgresConnection {
    /// Every row `query` returns, inside a transaction body.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await self.query(query, logger: logger) { rows.append(row) }
        return rows
    }

    /// Every row a prepared `statement` returns, decoded, inside a transaction body.
    func rows<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws
        -> [Statement.Row]
    {
        var rows: [Statement.Row] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}
