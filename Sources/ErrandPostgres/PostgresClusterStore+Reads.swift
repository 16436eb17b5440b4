public import ErrandEngine
import PostgresNIO

extension PostgresClusterStore {
    public func task(_ id: TaskID) async throws -> TaskRecord? {
        let rows = try await rows(
            "SELECT \(unescaped: TaskColumns.select) FROM errand_tasks WHERE id = \(id.rawValue)")
        return try rows.first.map(TaskColumns.decode)
    }

    public func tasks(_ ids: [TaskID]) async throws -> [TaskID: TaskRecord] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await rows(
            "SELECT \(unescaped: TaskColumns.select) FROM errand_tasks WHERE id = ANY(\(ids.map(\.rawValue)))")
        var found: [TaskID: TaskRecord] = [:]
        for row in rows {
            let record = try TaskColumns.decode(row)
            found[record.id] = record
        }
        return found
    }

    public func list(_ query: TaskStoreQuery) async throws -> [TaskRecord] {
        var conditions: [String] = []
        var binds = PostgresBindings()
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        if let session = query.session { conditions.append("session = \(bind(session))") }
        if let statuses = query.statuses { conditions.append("status = ANY(\(bind(statuses.map(\.rawValue))))") }
        if let target = query.target { conditions.append("target = \(bind(target))") }
        if let parent = query.parent { conditions.append("parent = \(bind(parent.rawValue))") }
        if let after = query.createdAfter { conditions.append("created_at >= \(bind(after))") }
        if let before = query.createdBefore { conditions.append("created_at < \(bind(before))") }
        if let position = query.after {
            let comparison = query.oldestFirst ? ">" : "<"
            conditions.append(
                "(created_at, id) \(comparison) (\(bind(position.createdAt)), \(bind(position.id.rawValue)))")
        }
        if let principal = query.principal { conditions.append("principal = \(bind(principal))") }
        if let team = query.team { conditions.append("team = \(bind(team))") }
        conditions.append(Self.accessCondition(query.requester, bind: bind))
        let limit = bind(Int64(max(1, query.limit)))
        let order = query.oldestFirst ? "created_at ASC, id ASC" : "created_at DESC, id DESC"
        let sql = """
            SELECT \(TaskColumns.select) FROM errand_tasks WHERE \(conditions.joined(separator: " AND "))
            ORDER BY \(order) LIMIT \(limit)
            """
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map(TaskColumns.decode)
    }

    /// ``TaskOwner/mayAccess(_:)`` in SQL: an owner without a principal is open to all; else same principal or
    /// same team. `bind` adds a parameter and returns its placeholder.
    static func accessCondition(_ requester: TaskOwner, bind: (String) -> String) -> String {
        guard requester.principal != nil || requester.team != nil else { return "principal IS NULL" }
        var access = "principal IS NULL"
        if let principal = requester.principal { access += " OR principal = \(bind(principal))" }
        if let team = requester.team { access += " OR (team IS NOT NULL AND team = \(bind(team)))" }
        return "(\(access))"
    }

    public func tally(visibleTo requester: TaskOwner) async throws -> TaskTally {
        var binds = PostgresBindings()
        let access = Self.accessCondition(requester) { value in
            binds.append(value)
            return "$\(binds.count)"
        }
        let sql = "SELECT target, status, count(*) FROM errand_tasks WHERE \(access) GROUP BY target, status"
        var tally = TaskTally()
        for row in try await rows(PostgresQuery(unsafeSQL: sql, binds: binds)) {
            let (target, text, count) = try row.decode((String, String, Int64).self)
            if let status = TaskStatus(rawValue: text) { tally.add(Int(count), target: target, status: status) }
        }
        return tally
    }

    /// Uses `errand_tasks_leases` (only rows with a lease).
    public func leaseHoldings() async throws -> [LeaseHolding] {
        let rows = try await rows(
            """
            SELECT lease_node, target, count(*), min(lease_until), max(lease_until) FROM errand_tasks
            WHERE lease_until IS NOT NULL AND lease_node IS NOT NULL AND status IN ('working', 'input_required')
            GROUP BY lease_node, target
            """)
        return try rows.map { row in
            let (node, target, count, earliest, latest) = try row.decode((String, String, Int64, Int64, Int64).self)
            return LeaseHolding(
                node: node, target: target, count: Int(count), earliestUntilMs: earliest, latestUntilMs: latest)
        }
    }

    /// Also brings the table's statistics up to date once it has doubled since they last counted it
    /// (``TableStatistics``).
    public func counts() async throws -> [TaskStatus: Int] {
        var counts: [TaskStatus: Int] = [:]
        var total = 0
        for row in try await rows("SELECT status, count(*) FROM errand_tasks GROUP BY status") {
            let (text, count) = try row.decode((String, Int64).self)
            total += Int(count)
            if let status = TaskStatus(rawValue: text) { counts[status] = Int(count) }
        }
        if tableStatistics.shouldAnalyze(rows: total) { await analyzeTasks(rows: total) }
        return counts
    }

    /// `ANALYZE errand_tasks`, so that every connection plans its statements again for the table's size.
    private func analyzeTasks(rows: Int) async {
        do {
            _ = try await self.rows("ANALYZE errand_tasks")
            tableStatistics.analyzed(rows: rows)
            logger.debug("analyzed the task table as it grew", metadata: ["rows": "\(rows)"])
        } catch {
            tableStatistics.analyzed(rows: nil)
            logger.warning("could not analyze the task table", metadata: ["error": "\(error)"])
        }
    }

    /// The rows PostgreSQL's statistics last counted in `errand_tasks` (0 if it was never analyzed).
    static func analyzedRows(client: PostgresClient, logger: Logger, deadline: Duration)
        async throws(PostgresClusterStoreError) -> Int
    {
        let rows = try await Self.rows(
            client: client, logger: logger, deadline: deadline,
            "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'errand_tasks'::regclass")
        do {
            return Int(try rows.first?.decode(Int64.self) ?? 0)
        } catch {
            throw .database("could not read the task table's statistics: \(error)")
        }
    }

    public func activeCount(ownerKey: String) async throws -> Int {
        Int(try await rows(PreparedStatements.ActiveCount(ownerKey: ownerKey)).first ?? 0)
    }

    public func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord] {
        try await rows(
            """
            SELECT \(unescaped: TaskColumns.select) FROM errand_tasks
            WHERE status IN \(unescaped: PostgresSchema.terminalStatuses) AND expires_at IS NOT NULL
                AND expires_at <= \(nowMs)
            LIMIT \(Int64(max(0, limit)))
            """
        ).map(TaskColumns.decode)
    }
}
