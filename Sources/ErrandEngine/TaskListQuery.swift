/// Which tasks a list covers.
public enum TaskListScope: Sendable, Hashable {
    /// Tasks created in one session (MCP `tasks/list` without authentication).
    case session(String)
    /// Every task the requester may access (its principal's and its team's; all tasks when unauthenticated).
    case visible
}

public struct TaskListQuery: Sendable, Hashable {
    public var scope: TaskListScope
    public var statuses: Set<TaskStatus>?
    public var target: String?
    public var createdAfter: Int64?
    public var createdBefore: Int64?
    /// An opaque cursor from a previous page's `nextCursor`.
    public var cursor: String?
    /// Page size; clamped to 1...1000. Default 100.
    public var limit: Int
    /// Only the tasks this task started, if set.
    public var parent: TaskID?
    /// Only the tasks of this principal (``TaskOwner/principal``), if set.
    public var principal: String?
    /// Only the tasks of this team (``TaskOwner/team``), if set.
    public var team: String?
    /// Oldest first instead of newest first (a cursor belongs to the order its page was listed in).
    public var oldestFirst = false
    public init(
        scope: TaskListScope, statuses: Set<TaskStatus>? = nil, target: String? = nil, createdAfter: Int64? = nil,
        createdBefore: Int64? = nil, cursor: String? = nil, limit: Int = 100
    ) {
        self.scope = scope
        self.statuses = statuses
        self.target = target
        self.createdAfter = createdAfter
        self.createdBefore = createdBefore
        self.cursor = cursor
        self.limit = limit
    }
}

/// A page of tasks, newest first.
public struct TaskPage: Sendable {
    public var tasks: [TaskRecord]
    public var nextCursor: String?
    public init(tasks: [TaskRecord], nextCursor: String?) {
        self.tasks = tasks
        self.nextCursor = nextCursor
    }
}
