/// The tables, indexes and sequence of a PostgreSQL cluster store, as numbered migrations.
///
/// The `errand_schema` table records every applied version. Never edit a shipped migration; append a new one.
enum PostgresSchema {
    /// One schema version: the statements that take the database from the previous version to this one.
    struct Migration {
        var version: Int
        var name: String
        var statements: [String]
    }

    /// Statuses in the partial indexes and in the queries that must use them; the text must match exactly.
    static let terminalStatuses = "('completed', 'failed', 'cancelled')"
    static let unfinishedStatuses = "('queued', 'working', 'input_required')"

    /// Key of the advisory lock that serializes migrations of nodes starting at once.
    static let migrationLockKey: Int64 = 0x4552_4E44  // "ERND"

    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "create task, fence and input request tables",
            statements: [
                """
                CREATE TABLE errand_tasks (
                    id text COLLATE "C" PRIMARY KEY,
                    status text NOT NULL,
                    owner_key text NOT NULL,
                    principal text,
                    team text,
                    session text,
                    target text NOT NULL,
                    created_at bigint NOT NULL,
                    expires_at bigint,
                    priority integer NOT NULL,
                    attempt integer NOT NULL,
                    run_after bigint NOT NULL,
                    lease_node text,
                    lease_until bigint,
                    fence bigint,
                    record bytea NOT NULL
                )
                """,
                // Claims: runnable work, highest priority first, then oldest.
                """
                CREATE INDEX errand_tasks_claim ON errand_tasks (status, priority DESC, created_at, id)
                    WHERE status = 'queued'
                """,
                // Keyset pagination, newest first.
                "CREATE INDEX errand_tasks_position ON errand_tasks (created_at DESC, id DESC)",
                // Per-owner limits count unfinished tasks.
                "CREATE INDEX errand_tasks_owner ON errand_tasks (owner_key) WHERE status IN \(unfinishedStatuses)",
                // The reaper: terminal tasks by expiry.
                """
                CREATE INDEX errand_tasks_expiry ON errand_tasks (expires_at)
                    WHERE status IN \(terminalStatuses) AND expires_at IS NOT NULL
                """,
                // Lease takeover and renewal.
                "CREATE INDEX errand_tasks_leases ON errand_tasks (lease_until) WHERE lease_until IS NOT NULL",
                // counts().
                "CREATE INDEX errand_tasks_status ON errand_tasks (status)",
                "CREATE SEQUENCE errand_fence",
                """
                CREATE TABLE errand_input_requests (
                    task_id text COLLATE "C" NOT NULL REFERENCES errand_tasks (id) ON DELETE CASCADE,
                    request_id text COLLATE "C" NOT NULL,
                    request text NOT NULL,
                    response text,
                    PRIMARY KEY (task_id, request_id)
                )
                """,
            ]),
        // A claim stores the new attempt in the columns only (one statement, no decoding in Swift); readers
        // apply ``TaskRecord/startingNextAttempt(at:)`` at `started_at` to the stored body until the attempt's
        // first write replaces the body and clears `started_at` (see ``TaskColumns``).
        Migration(
            version: 2, name: "claims in one statement: started_at",
            statements: ["ALTER TABLE errand_tasks ADD COLUMN started_at bigint"]),
        // The task whose attempt started this one, for listing a task's children (it is in the body too).
        Migration(
            version: 3, name: "child tasks: parent",
            statements: [
                "ALTER TABLE errand_tasks ADD COLUMN parent text",
                """
                CREATE INDEX errand_tasks_parent ON errand_tasks (parent, created_at DESC, id DESC)
                    WHERE parent IS NOT NULL
                """,
            ]),
        // Every node's latest heartbeat, so that the cluster view lists idle nodes too.
        Migration(
            version: 4, name: "node heartbeats",
            statements: [
                """
                CREATE TABLE errand_nodes (
                    node text PRIMARY KEY, worker_slots integer NOT NULL, running integer NOT NULL,
                    seen_at bigint NOT NULL)
                """
            ]),
        // Claims as a TaskEngine starts tasks: round-robin across owners within a priority, each owner within its
        // concurrentTasks. `errand_owners` holds each owner's limits (written at submit) and its last turn (written
        // by the claim that served it); `turn` orders the owners of a round, least recently served first. The
        // claim walks the owners that have queued work (a skip scan of `errand_tasks_owner_queue`), takes each one's
        // oldest runnable tasks from the same index and counts its running ones in `errand_tasks_owner_running`;
        // `errand_tasks_claim` (priority, then age, over all owners) is no longer read.
        Migration(
            version: 5, name: "fair claims: owner limits and turns",
            statements: [
                """
                CREATE TABLE errand_owners (
                    owner_key text PRIMARY KEY,
                    concurrent_tasks bigint,
                    queued_tasks bigint,
                    turn bigint NOT NULL DEFAULT 0)
                """,
                "CREATE SEQUENCE errand_owner_turn",
                """
                CREATE INDEX errand_tasks_owner_queue ON errand_tasks (owner_key, priority DESC, created_at, id)
                    WHERE status = 'queued'
                """,
                """
                CREATE INDEX errand_tasks_owner_running ON errand_tasks (owner_key)
                    WHERE status IN ('working', 'input_required')
                """,
                "DROP INDEX errand_tasks_claim",
            ]),
    ]

    /// The highest schema version this build knows.
    static var supportedVersion: Int { migrations.map(\.version).max() ?? 0 }
}
