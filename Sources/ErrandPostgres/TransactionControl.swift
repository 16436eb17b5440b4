import PostgresNIO

/// `BEGIN`, `COMMIT` and `ROLLBACK` as prepared statements: sent as Bind and Execute only, where postgres-nio's own
/// `withTransaction` parses each anew (for every batch the store commits, the client encoded and the server parsed
/// two statements more than it ran).
enum TransactionControl {
    struct Begin: ControlStatement {
        static let name = "errand_begin"
        static let sql = "BEGIN"
    }

    struct Commit: ControlStatement {
        static let name = "errand_commit"
        static let sql = "COMMIT"
    }

    struct Rollback: ControlStatement {
        static let name = "errand_rollback"
        static let sql = "ROLLBACK"
    }
}

/// A statement without parameters or rows: only its name and text differ.
protocol ControlStatement: PostgresPreparedStatement where Row == Void {}

extension ControlStatement {
    func makeBindings() throws -> PostgresBindings { PostgresBindings() }
    func decodeRow(_ row: PostgresRow) throws {}
}

extension PostgresConnection {
    /// Runs `body` in a transaction on this connection: committed if it returns, rolled back if it throws. When the
    /// rollback fails too (the call was cancelled, say), the connection is closed, so that the pool never lends a
    /// connection still inside a transaction.
    func inTransaction<Result: Sendable>(
        logger: Logger, _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await run(TransactionControl.Begin(), logger: logger)
        let value: Result
        do {
            value = try await body(self)
        } catch {
            do {
                try await run(TransactionControl.Rollback(), logger: logger)
            } catch {
                try? await close()
            }
            throw error
        }
        // A COMMIT that fails (a deferred constraint, a lost connection) throws: nothing is acknowledged then.
        try await run(TransactionControl.Commit(), logger: logger)
        return value
    }

    private func run<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws {
        for try await _ in try await execute(statement, logger: logger) {}
    }
}
