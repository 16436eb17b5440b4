/// Where tasks are kept: memory (``MemoryTaskStore``), SQLite, PostgreSQL.
///
/// The engine is the only writer. It calls the store from its actor, awaits every call, and never
/// has two writes for the same task in flight at once, so a store needs no per-task ordering of its own.
/// Records cross the boundary by value: a store must not hand out or keep references that change later.
///
/// Every method may throw; the engine maps a thrown error to ``TaskEngineError/Code/storage`` and logs it.
public protocol TaskStore: Sendable {
    /// Stores a new task.
    /// - Throws: if a task with the same id is already stored, or the write failed.
    func insert(_ task: TaskRecord) async throws

    /// Replaces the stored task that has `task.id`. Does nothing if no such task is stored (it was deleted).
    func update(_ task: TaskRecord) async throws

    /// The task with `id`, or `nil` if none is stored.
    func task(_ id: TaskID) async throws -> TaskRecord?

    /// The tasks `query` selects, newest first by (`createdAt`, `id`) (oldest first if `query.oldestFirst`), at most
    /// `query.limit` of them.
    func list(_ query: TaskStoreQuery) async throws -> [TaskRecord]

    /// Deletes the tasks with these ids; unknown ids are ignored.
    func delete(_ ids: [TaskID]) async throws

    /// Up to `limit` terminal tasks whose `expiresAt` is at or before `nowMs` (any order). Never a non-terminal one.
    func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord]

    /// Every task whose status is not terminal.
    func unfinished() async throws -> [TaskRecord]

    /// Up to `limit` tasks whose status is not terminal, oldest first by (`createdAt`, `id`), strictly after
    /// `position` in that order (`nil`: from the oldest): the engine recovers in pages of these when it starts.
    /// Ids compare as in ``TaskListPosition/precedes(_:)``.
    func unfinished(after position: TaskListPosition?, limit: Int) async throws -> [TaskRecord]

    /// How many tasks are stored in each status (statuses with none may be missing).
    func counts() async throws -> [TaskStatus: Int]

    /// How many stored tasks `requester` may see (``TaskOwner/mayAccess(_:)``), per target and status.
    func tally(visibleTo requester: TaskOwner) async throws -> TaskTally
}

extension TaskStore {
    /// Pages over ``unfinished()``: correct for any store, but reads every unfinished task for each page. Stores
    /// that can select a page themselves (memory, SQLite) implement it.
    public func unfinished(after position: TaskListPosition?, limit: Int) async throws -> [TaskRecord] {
        try await unfinished().oldestFirstPage(after: position, limit: limit)
    }
}

extension Array where Element == TaskRecord {
    /// Up to `limit` of these records, oldest first by (`createdAt`, `id`), strictly after `position`.
    public func oldestFirstPage(after position: TaskListPosition?, limit: Int) -> [TaskRecord] {
        var page = self
        // Newer than `position` is after it, oldest first.
        if let position { page.removeAll { !TaskListPosition($0).precedes(position) } }
        page.sort { TaskListPosition($1).precedes(TaskListPosition($0)) }
        return Array(page.prefix(Swift.max(0, limit)))
    }
}

/// A position in the newest-first order of tasks: (`createdAt` descending, then `id` descending).
///
/// Ids compare byte-wise on their UTF-8 text (SQL `BINARY`/`C` collation), see ``TaskListPosition/precedes(_:)``.
public struct TaskListPosition: Sendable, Hashable {
    public var createdAt: Int64
    public var id: TaskID
    public init(createdAt: Int64, id: TaskID) {
        self.createdAt = createdAt
        self.id = id
    }

    public init(_ task: TaskRecord) { self.init(createdAt: task.createdAt, id: task.id) }

    /// Whether `self` comes before `other` in newest-first order (is newer).
    public func precedes(_ other: TaskListPosition) -> Bool {
        if createdAt != other.createdAt { return createdAt > other.createdAt }
        return other.id.rawValue.utf8.lexicographicallyPrecedes(id.rawValue.utf8)
    }
}

/// What ``TaskStore/list(_:)`` selects. All conditions must hold.
public struct TaskStoreQuery: Sendable, Hashable {
    /// Only tasks this requester may access (see ``TaskOwner/mayAccess(_:)``).
    public var requester: TaskOwner
    /// Only tasks whose `owner.session` equals this, if set.
    public var session: String?
    /// Only tasks in one of these statuses, if set.
    public var statuses: Set<TaskStatus>?
    /// Only tasks with this target, if set.
    public var target: String?
    /// Only tasks with `createdAt >= createdAfter`, if set.
    public var createdAfter: Int64?
    /// Only tasks with `createdAt < createdBefore`, if set.
    public var createdBefore: Int64?
    /// Only tasks strictly after this position in newest-first order (keyset pagination), if set.
    public var after: TaskListPosition?
    /// Most tasks to return; at least 1.
    public var limit: Int
    /// Only tasks started by this task (``TaskRecord/parent``), if set.
    public var parent: TaskID?
    /// Only tasks whose `owner.principal` equals this, if set.
    public var principal: String?
    /// Only tasks whose `owner.team` equals this, if set.
    public var team: String?
    /// Oldest first by (`createdAt`, `id`) instead of newest first; `after` is then a position to go past upwards.
    public var oldestFirst: Bool

    public init(
        requester: TaskOwner, session: String? = nil, statuses: Set<TaskStatus>? = nil, target: String? = nil,
        createdAfter: Int64? = nil, createdBefore: Int64? = nil, after: TaskListPosition? = nil, limit: Int,
        parent: TaskID? = nil, principal: String? = nil, team: String? = nil, oldestFirst: Bool = false
    ) {
        self.parent = parent
        self.principal = principal
        self.team = team
        self.oldestFirst = oldestFirst
        self.requester = requester
        self.session = session
        self.statuses = statuses
        self.target = target
        self.createdAfter = createdAfter
        self.createdBefore = createdBefore
        self.after = after
        self.limit = limit
    }

    /// Whether `task` meets every condition except the position and the limit.
    public func matches(_ task: TaskRecord) -> Bool {
        if let parent, task.parent != parent { return false }
        return matches(owner: task.owner, status: task.status, target: task.target, createdAt: task.createdAt)
    }

    /// Whether a task at `position` comes after ``after`` in this query's order (always, without `after`).
    public func isPastCursor(_ position: TaskListPosition) -> Bool {
        guard let after else { return true }
        return oldestFirst ? position.precedes(after) : after.precedes(position)
    }

    /// Whether a task with these fields meets every condition except the position, the limit and `parent`.
    public func matches(owner: TaskOwner, status: TaskStatus, target taskTarget: String, createdAt: Int64) -> Bool {
        if let session, owner.session != session { return false }
        if let principal, owner.principal != principal { return false }
        if let team, owner.team != team { return false }
        if let statuses, !statuses.contains(status) { return false }
        if let target, target != taskTarget { return false }
        if let createdAfter, createdAt < createdAfter { return false }
        if let createdBefore, createdAt >= createdBefore { return false }
        return requester.mayAccess(owner)
    }
}
