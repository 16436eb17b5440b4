import Synchronization

/// Keeps PostgreSQL's statistics of `errand_tasks` in step while the table grows from empty.
///
/// The statements a node sends per task are prepared once per connection, and PostgreSQL keeps their generic plan
/// until the table's statistics change. A plan made while the table held a few hundred rows joins a batch against
/// it with a sequential scan, and keeps doing so as the table grows. Autovacuum analyzes at most once per
/// `autovacuum_naptime` (a minute by default), so a fresh database ran its first minute on plans for an empty
/// table: in a 12 s benchmark the batched final write scanned all 16,000 rows for each batch, 310 µs of database
/// time per task instead of 43.
///
/// The count of tasks the store reads for ``PostgresClusterStore/counts()`` (about once a second per node) drives
/// it: once the table has doubled since its statistics last counted it, and holds at least ``minimumRows``, the
/// store runs `ANALYZE errand_tasks`. A table that keeps its size is left to autovacuum.
final class TableStatistics: Sendable {
    /// Below this many rows any plan is cheap.
    static let minimumRows = 1_000

    private struct State {
        /// Rows the statistics last counted (`pg_class.reltuples`, or an ANALYZE of this store).
        var analyzedRows: Int
        var analyzing = false
    }
    private let state: Mutex<State>

    init(analyzedRows: Int) {
        state = Mutex(State(analyzedRows: max(0, analyzedRows)))
    }

    /// Whether to analyze now, at `rows` rows; when `true`, the caller analyzes and then calls ``analyzed(rows:)``.
    /// One analysis at a time.
    func shouldAnalyze(rows: Int) -> Bool {
        state.withLock { state in
            guard !state.analyzing, rows >= Self.minimumRows, rows >= 2 * state.analyzedRows else { return false }
            state.analyzing = true
            return true
        }
    }

    /// An analysis ended; `rows` is what it counted (nil: it failed, and the next count may try again).
    func analyzed(rows: Int?) {
        state.withLock { state in
            state.analyzing = false
            if let rows { state.analyzedRows = rows }
        }
    }
}
