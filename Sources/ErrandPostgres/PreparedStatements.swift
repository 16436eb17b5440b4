import ErrandEngine
import ErrandProtocol
import PostgresNIO

/// Statements every submission sends, prepared once per pooled connection so that PostgreSQL parses them once and,
/// after a few executions, plans them once (its generic plan) instead of on every call. Measured with
/// `pg_stat_statements`: planning the owner's quota count cost more than twice its execution.
enum PreparedStatements {
    /// How many unfinished tasks one owner has (the per-owner quota on submit).
    struct ActiveCount: PostgresPreparedStatement {
        static let name = "errand_active_count"
        static let sql = """
            SELECT count(*) FROM errand_tasks
            WHERE owner_key = $1 AND status IN \(PostgresSchema.unfinishedStatuses)
            """
        typealias Row = Int64

        var ownerKey: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(ownerKey)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }
    }
}

extension PreparedStatements {
    /// New tasks, one row each, inserted unless their owner is at its limit: the owner's unfinished tasks in the
    /// table plus those before it in the batch. Signals `created` for each stored task and then one wake for the
    /// batch, in the same statement (so with its commit). Returns every task's id, the owner's count before it, and
    /// whether it was stored (not stored and under the limit: the id existed).
    ///
    /// Optional columns travel as a value array and a presence array: postgres-nio binds no arrays of optionals.
    struct InsertTasks: PostgresPreparedStatement {
        static let name = "errand_insert_tasks"
        static let sql = """
            WITH u AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::text[],
                    $7::bool[], $8::text[], $9::bool[], $10::text[], $11::bigint[], $12::bigint[], $13::bool[],
                    $14::bigint[], $15::bigint[], $16::bytea[], $17::text[], $18::bool[], $19::bigint[], $20::text[],
                    $22::bool[], $23::text[], $24::bigint[], $25::bigint[], $26::bigint[], $27::bigint[])
                    WITH ORDINALITY AS u(id, status, owner_key, principal, has_principal, team, has_team, session,
                        has_session, target, created_at, expires_at, expires, priority, attempt, record, parent,
                        has_parent, owner_limit, origin, start, start_node, started_at, lease_until, spare, concurrent, n)),
            -- Each owner of the batch counted from its own entries in errand_tasks_owner: written as a join, the
            -- generic plan read every unfinished task of every owner (a backlog's worth) for each batch.
            active AS (
                SELECT owners.owner_key, (
                        SELECT count(*) FROM errand_tasks AS t
                        WHERE t.owner_key = owners.owner_key AND t.status IN \(PostgresSchema.unfinishedStatuses))
                    AS active
                FROM (SELECT DISTINCT owner_key FROM u) AS owners),
            -- A task may start at once when its node has a spare slot for each runnable task waiting before it
            -- (counted only if one may start, up to one past the largest spare).
            waiting AS (
                SELECT count(*) AS queued FROM (
                    SELECT 1 FROM errand_tasks
                    WHERE (SELECT bool_or(start) FROM u) AND status = 'queued'
                        AND run_after <= (SELECT max(started_at) FROM u)
                    LIMIT (SELECT coalesce(max(spare) + 1, 0) FROM u WHERE start)) AS runnable),
            -- And only while the owner's unfinished tasks (so at least its running ones) are below its
            -- concurrentTasks.
            ranked AS (
                SELECT b.*, b.start AND waiting.queued <= b.spare AND b.before < b.concurrent AS starts
                FROM (
                    SELECT u.*, coalesce(active.active, 0)
                            + row_number() OVER (PARTITION BY u.owner_key ORDER BY u.n) - 1 AS before
                    FROM u LEFT JOIN active USING (owner_key)) AS b
                CROSS JOIN waiting),
            -- Started: stored as a claim stores it (see the claim statement and TaskColumns).
            inserted AS (
                INSERT INTO errand_tasks (id, status, owner_key, principal, team, session, target, created_at,
                    expires_at, priority, attempt, run_after, record, parent, started_at, lease_node, lease_until,
                    fence)
                SELECT id, CASE WHEN starts THEN 'working' ELSE status END, owner_key,
                    CASE WHEN has_principal THEN principal END, CASE WHEN has_team THEN team END,
                    CASE WHEN has_session THEN session END, target, created_at, CASE WHEN expires THEN expires_at END,
                    priority, CASE WHEN starts THEN attempt + 1 ELSE attempt END, 0, record,
                    CASE WHEN has_parent THEN parent END, CASE WHEN starts THEN started_at END,
                    CASE WHEN starts THEN start_node END, CASE WHEN starts THEN lease_until END,
                    CASE WHEN starts THEN nextval('errand_fence') END
                FROM ranked WHERE before < owner_limit
                ON CONFLICT (id) DO NOTHING RETURNING id, fence),
            announced AS (
                SELECT ranked.n, ranked.before, inserted.id IS NOT NULL AS stored, inserted.fence, ranked.origin,
                    CASE WHEN inserted.id IS NOT NULL
                        THEN pg_notify($21, ranked.origin || '|c|' || ranked.id || '|'
                            || CASE WHEN inserted.fence IS NULL THEN ranked.status ELSE 'working' END || '|') END
                FROM ranked LEFT JOIN inserted ON inserted.id = ranked.id)
            -- Every created signal first, then one wake if a task was queued (Append runs its parts in order): a
            -- node that claims on the wake has published the task's creation already.
            -- One row answers for the whole batch, in its order (a row per task cost more to decode than to insert).
            SELECT array_agg(before ORDER BY n), array_agg(stored ORDER BY n), array_agg(coalesce(fence, 0) ORDER BY n)
            FROM announced
            UNION ALL
            SELECT NULL, NULL, NULL
            FROM (SELECT min(origin) AS origin FROM announced WHERE stored AND fence IS NULL) AS woken
            WHERE woken.origin IS NOT NULL
                AND pg_notify($21, woken.origin || '\(ClusterSignalPayload.wakeSuffix)') IS NOT NULL
            """
        /// For each task of the batch, in order: its owner's unfinished tasks before it, whether it was stored, and
        /// the fencing token of a task started at once (0: not started; tokens start at 1). The wake's row is `nil`.
        typealias Row = (active: [Int64], stored: [Bool], fences: [Int64])?

        var tasks: [NewTask]
        var channel: String

        init(_ tasks: [NewTask], channel: String) {
            self.tasks = tasks
            self.channel = channel
        }

        func makeBindings() throws -> PostgresBindings {
            let records = tasks.map(\.task)
            var bindings = PostgresBindings(capacity: 27)
            bindings.append(records.map(\.id.rawValue))
            bindings.append(records.map(\.status.rawValue))
            bindings.append(records.map(\.owner.quotaKey))
            bindings.append(records.map { $0.owner.principal ?? "" })
            bindings.append(records.map { $0.owner.principal != nil })
            bindings.append(records.map { $0.owner.team ?? "" })
            bindings.append(records.map { $0.owner.team != nil })
            bindings.append(records.map { $0.owner.session ?? "" })
            bindings.append(records.map { $0.owner.session != nil })
            bindings.append(records.map(\.target))
            bindings.append(records.map(\.createdAt))
            bindings.append(records.map { $0.expiresAt ?? 0 })
            bindings.append(records.map { $0.expiresAt != nil })
            bindings.append(records.map { Int64($0.priority) })
            bindings.append(records.map { Int64($0.attempt) })
            bindings.append(records.map(TaskColumns.body))
            bindings.append(records.map { $0.parent?.rawValue ?? "" })
            bindings.append(records.map { $0.parent != nil })
            bindings.append(tasks.map { Int64(clamping: $0.ownerLimit) })
            bindings.append(tasks.map { ClusterSignalPayload.sanitizedNode($0.origin) })
            bindings.append(channel)
            bindings.append(tasks.map { $0.start != nil })
            bindings.append(tasks.map { $0.start.map { ClusterSignalPayload.sanitizedNode($0.node) } ?? "" })
            bindings.append(tasks.map { $0.start?.nowMs ?? 0 })
            bindings.append(tasks.map { $0.start.map { $0.nowMs + $0.leaseMs } ?? 0 })
            bindings.append(tasks.map { Int64($0.start?.spareSlots ?? 0) })
            bindings.append(tasks.map { Int64(clamping: $0.start?.ownerConcurrentTasks ?? .max) })
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let cells = row.makeRandomAccess()
            guard let active = try cells[0].decode([Int64]?.self) else { return nil }
            return (active, try cells[1].decode([Bool].self), try cells[2].decode([Int64].self))
        }
    }
}

extension PreparedStatements {
    /// Attempts' writes, one row each, stored where the row still carries the write's fencing token and is not
    /// terminal (see ``PostgresClusterStore/storeFencedWrites(_:client:channel:logger:deadline:)``). Signals each
    /// stored write with the lease holder as origin and a wake for each requeued task; returns the stored ids.
    struct FencedWrites: PostgresPreparedStatement {
        static let name = "errand_fenced_writes"
        static let sql = """
            WITH u AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[], $5::bigint[], $6::bigint[],
                    $7::bool[], $8::bool[], $9::bigint[], $10::bool[], $11::bigint[], $12::text[])
                    WITH ORDINALITY AS u(id, status, record, attempt, priority, expires_at, expires, requeued,
                        run_after, ends, fence, suffix, n)),
            holder AS (SELECT t.id, coalesce(t.lease_node, '') AS node FROM errand_tasks AS t JOIN u ON t.id = u.id),
            updated AS (
                UPDATE errand_tasks AS t SET status = u.status, record = u.record, attempt = u.attempt,
                    priority = u.priority, expires_at = CASE WHEN u.expires THEN u.expires_at END, started_at = NULL,
                    run_after = CASE WHEN u.requeued THEN u.run_after ELSE t.run_after END,
                    lease_node = CASE WHEN u.ends THEN NULL ELSE t.lease_node END,
                    lease_until = CASE WHEN u.ends THEN NULL ELSE t.lease_until END,
                    fence = CASE WHEN u.ends THEN NULL ELSE t.fence END
                FROM u WHERE t.id = u.id AND t.fence = u.fence
                    AND t.status NOT IN \(PostgresSchema.terminalStatuses)
                RETURNING t.id),
            -- Open input requests belong to the attempt: they go when it ends.
            dropped AS (
                DELETE FROM errand_input_requests AS r USING u, updated
                WHERE u.ends AND r.task_id = u.id AND updated.id = u.id)
            -- One row: the positions in the batch of the stored writes (a row per task cost more to decode).
            SELECT array_agg(signalled.n) FROM (
                SELECT u.n, pg_notify($13, holder.node || u.suffix) AS changed,
                    CASE WHEN u.requeued THEN pg_notify($13, holder.node || '\(ClusterSignalPayload.wakeSuffix)') END
                        AS woken
                FROM updated JOIN holder ON holder.id = updated.id JOIN u ON u.id = updated.id) AS signalled
            """
        /// The positions (from 1) in the batch of the writes stored; `nil` when none was.
        typealias Row = [Int64]?

        var writes: [FencedWrite]
        var channel: String

        init(_ writes: [FencedWrite], channel: String) {
            self.writes = writes
            self.channel = channel
        }

        func makeBindings() throws -> PostgresBindings {
            let records = writes.map(\.record)
            var bindings = PostgresBindings(capacity: 13)
            bindings.append(records.map(\.id.rawValue))
            bindings.append(records.map(\.status.rawValue))
            bindings.append(records.map(TaskColumns.body))
            bindings.append(records.map { Int64($0.attempt) })
            bindings.append(records.map { Int64($0.priority) })
            bindings.append(records.map { $0.expiresAt ?? 0 })
            bindings.append(records.map { $0.expiresAt != nil })
            bindings.append(records.map { $0.status == .queued })
            bindings.append(writes.map { $0.runAfterMs ?? 0 })
            bindings.append(records.map { $0.status == .queued || $0.status.isTerminal })
            bindings.append(writes.map(\.lease.fence))
            bindings.append(
                writes.map {
                    ClusterSignalPayload.changeSuffix($0.change, taskID: $0.record.id, status: $0.record.status)
                })
            bindings.append(channel)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> [Int64]? { try row.makeRandomAccess()[0].decode([Int64]?.self) }
    }
}

extension PreparedStatements {
    /// A claim (see ``PostgresClusterStore/claimBatch(node:limit:nowMs:leaseMs:)``): planning it took about as
    /// long as running it, so it is prepared once per pooled connection. Each row: ``TaskColumns/select``
    /// (qualified), the fencing token, the signal, the owner's rank, turn and key, then whether queued tasks remain;
    /// a claim that took nothing returns one row, of NULLs but the last.
    struct Claim: PostgresPreparedStatement {
        static let name = "errand_claim"
        static let sql = """
            WITH RECURSIVE owners AS (
                (SELECT owner_key FROM errand_tasks WHERE status = 'queued' ORDER BY owner_key LIMIT 1)
                UNION ALL
                SELECT (SELECT q.owner_key FROM errand_tasks AS q
                        WHERE q.status = 'queued' AND q.owner_key > owners.owner_key ORDER BY q.owner_key LIMIT 1)
                FROM owners WHERE owners.owner_key IS NOT NULL),
            turns AS MATERIALIZED (
                SELECT owners.owner_key, coalesce(o.turn, 0) AS turn,
                    CASE WHEN o.concurrent_tasks IS NULL THEN $1
                        ELSE least($1, greatest(0, o.concurrent_tasks - (
                            SELECT count(*) FROM errand_tasks AS r
                            WHERE r.owner_key = owners.owner_key AND r.status IN ('working', 'input_required'))))
                    END AS free
                FROM owners LEFT JOIN errand_owners AS o ON o.owner_key = owners.owner_key
                WHERE owners.owner_key IS NOT NULL),
            candidates AS (
                SELECT c.id, c.priority, c.created_at, turns.owner_key, turns.turn, turns.free,
                    row_number() OVER (PARTITION BY turns.owner_key ORDER BY c.priority DESC, c.created_at, c.id)
                        AS owner_rank,
                    row_number() OVER (PARTITION BY turns.owner_key, c.priority ORDER BY c.created_at, c.id)
                        AS turn_rank
                FROM turns CROSS JOIN LATERAL (
                    SELECT q.id, q.priority, q.created_at FROM errand_tasks AS q
                    WHERE q.owner_key = turns.owner_key AND q.status = 'queued' AND q.run_after <= $2
                        AND turns.free > 0
                    ORDER BY q.priority DESC, q.created_at, q.id LIMIT $1) AS c),
            ranked AS (
                SELECT id, priority, created_at, owner_key, turn, turn_rank FROM candidates WHERE owner_rank <= free
                ORDER BY priority DESC, turn_rank, turn, owner_key, created_at, id LIMIT $6),
            picked AS MATERIALIZED (
                SELECT t.id, ranked.owner_key, ranked.turn_rank, ranked.turn
                FROM ranked JOIN errand_tasks AS t ON t.id = ranked.id
                WHERE t.status = 'queued'
                ORDER BY ranked.priority DESC, ranked.turn_rank, ranked.turn, ranked.owner_key, ranked.created_at,
                    ranked.id
                LIMIT $1 FOR UPDATE OF t SKIP LOCKED),
            served AS (
                INSERT INTO errand_owners AS o (owner_key, turn)
                SELECT owner_key, (SELECT nextval('errand_owner_turn')) * 1000000
                    + row_number() OVER (ORDER BY max(turn_rank), min(turn), owner_key)
                FROM picked GROUP BY owner_key ORDER BY owner_key
                ON CONFLICT (owner_key) DO UPDATE SET turn = excluded.turn),
            claimed AS (
                UPDATE errand_tasks AS t SET status = 'working', attempt = t.attempt + 1, started_at = $2,
                    lease_node = $3, lease_until = $4, fence = nextval('errand_fence')
                FROM picked WHERE t.id = picked.id
                RETURNING \(TaskColumns.qualifiedSelect),
                    t.fence, pg_notify($5, $3 || '|s|' || t.id || '|working|'), picked.turn_rank, picked.turn,
                    picked.owner_key),
            -- Queued tasks besides the claimed ones (the statement still sees those as queued), runnable or not.
            remain AS (
                SELECT count(*) > (SELECT count(*) FROM picked) AS queued FROM (
                    SELECT 1 FROM errand_tasks WHERE status = 'queued' LIMIT (SELECT count(*) FROM picked) + 1)
                    AS q)
            -- One row per claimed task, or one row of NULLs when none was: each carries `remain` last.
            SELECT claimed.*, remain.queued FROM remain LEFT JOIN claimed ON true
            """
        typealias Row = PostgresRow

        var limit: Int
        var nowMs: Int64
        var node: String
        var leaseUntilMs: Int64
        var channel: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 6)
            bindings.append(Int64(limit))
            bindings.append(nowMs)
            bindings.append(node)
            bindings.append(leaseUntilMs)
            bindings.append(channel)
            bindings.append(Int64(2 * limit))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
    }
}
