/// How many tasks a requester may see, per tool and status: the dashboard's true totals, whatever a page loaded.
///
/// Every store computes it from what it holds (``TaskStore/tally(visibleTo:)``,
/// ``ClusterStore/tally(visibleTo:)``) with the visibility rule of ``TaskOwner/mayAccess(_:)``; its size is
/// bounded by tools × statuses, never by the number of tasks.
public struct TaskTally: Sendable, Hashable {
    /// One cell of the table: a tool (or prompt, or other target) in one status.
    public struct Cell: Sendable, Hashable {
        public var target: String
        public var status: TaskStatus
        public init(target: String, status: TaskStatus) {
            self.target = target
            self.status = status
        }
    }

    /// Tasks per cell; cells with no task are left out.
    public private(set) var counts: [Cell: Int] = [:]

    public init(counts: [Cell: Int] = [:]) {
        for (cell, count) in counts { add(count, target: cell.target, status: cell.status) }
    }

    /// Adds `count` tasks of `target` in `status` (a negative count removes them).
    public mutating func add(_ count: Int, target: String, status: TaskStatus) {
        let cell = Cell(target: target, status: status)
        let total = counts[cell, default: 0] + count
        counts[cell] = total > 0 ? total : nil
    }

    /// Tasks per status, over every target.
    public var byStatus: [TaskStatus: Int] {
        counts.reduce(into: [:]) { totals, entry in totals[entry.key.status, default: 0] += entry.value }
    }

    /// Tasks per target and status.
    public var byTarget: [String: [TaskStatus: Int]] {
        counts.reduce(into: [:]) { totals, entry in
            totals[entry.key.target, default: [:]][entry.key.status] = entry.value
        }
    }

    /// Every task counted.
    public var total: Int { counts.values.reduce(0, +) }
}

/// The owner fields a tally is kept under in memory: who may see the tasks, what they run, their status.
struct TallyKey: Hashable {
    var principal: String?
    var team: String?
    var target: String
    var status: TaskStatus

    init(owner: TaskOwner, target: String, status: TaskStatus) {
        principal = owner.principal
        team = owner.team
        self.target = target
        self.status = status
    }
}

extension Dictionary where Key == TallyKey, Value == Int {
    /// Adds `count` under `key`, dropping keys that reach zero (so the table stays as small as what is stored).
    mutating func add(_ count: Int, _ key: TallyKey) {
        let total = self[key, default: 0] + count
        self[key] = total > 0 ? total : nil
    }

    /// The tally of the keys `requester` may see.
    func tally(visibleTo requester: TaskOwner) -> TaskTally {
        var tally = TaskTally()
        for (key, count) in self where requester.mayAccess(TaskOwner(principal: key.principal, team: key.team)) {
            tally.add(count, target: key.target, status: key.status)
        }
        return tally
    }
}

extension TaskStore {
    /// The default: every visible task read through ``list(_:)``, a page of 1,000 at a time. Correct for any store
    /// but linear in the tasks stored; the built-in stores answer from an index or a running table instead.
    public func tally(visibleTo requester: TaskOwner) async throws -> TaskTally {
        try await TaskTally.byListing(requester) { query in try await list(query) }
    }
}

extension ClusterStore {
    /// The default: every visible task read through ``list(_:)`` (see ``TaskStore/tally(visibleTo:)``).
    public func tally(visibleTo requester: TaskOwner) async throws -> TaskTally {
        try await TaskTally.byListing(requester) { query in try await list(query) }
    }
}

extension TaskTally {
    /// Counts every task `list` returns for `requester`, paging with the keyset position.
    static func byListing(
        _ requester: TaskOwner, _ list: (TaskStoreQuery) async throws -> [TaskRecord]
    ) async throws -> TaskTally {
        var tally = TaskTally()
        var query = TaskStoreQuery(requester: requester, limit: 1000)
        while true {
            let page = try await list(query)
            for task in page { tally.add(1, target: task.target, status: task.status) }
            guard page.count == query.limit, let last = page.last else { return tally }
            query.after = TaskListPosition(last)
        }
    }
}
