/// The opaque `nextCursor` of a task list: the position of the last task on the page, as
/// `"<createdAt>.<id>"` in URL-safe characters.
enum TaskListCursor {
    static func encode(_ position: TaskListPosition) -> String {
        "\(position.createdAt).\(position.id.rawValue)"
    }

    /// The position a cursor names, or `nil` if it is not one this engine made.
    static func decode(_ cursor: String) -> TaskListPosition? {
        guard let dot = cursor.firstIndex(of: "."), let createdAt = Int64(cursor[..<dot]), createdAt >= 0 else {
            return nil
        }
        let id = cursor[cursor.index(after: dot)...]
        guard !id.isEmpty, id.count <= 128,
            id.utf8.allSatisfy({ byte in
                (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: "_")
            })
        else { return nil }
        return TaskListPosition(createdAt: createdAt, id: TaskID(String(id)))
    }
}

extension TaskListQuery {
    /// The store query for one page of this list as `requester` sees it: the cursor decoded, the page size clamped
    /// to 1...1000, and one task more than the page asked for, so that ``TaskPage/init(found:pageSize:)`` can tell
    /// whether another page follows.
    /// - Throws: `.invalidCursor` for a cursor no engine made.
    func storeQuery(for requester: TaskOwner) throws(TaskEngineError) -> (query: TaskStoreQuery, pageSize: Int) {
        var after: TaskListPosition?
        if let cursor {
            guard let position = TaskListCursor.decode(cursor) else {
                throw TaskEngineError(.invalidCursor, "Invalid cursor")
            }
            after = position
        }
        let pageSize = min(max(limit, 1), 1000)
        var session: String?
        if case .session(let name) = scope { session = name }
        let query = TaskStoreQuery(
            requester: requester, session: session, statuses: statuses, target: target, createdAfter: createdAfter,
            createdBefore: createdBefore, after: after, limit: pageSize + 1, parent: parent, principal: principal,
            team: team, oldestFirst: oldestFirst)
        return (query, pageSize)
    }
}

extension TaskPage {
    /// The page of `pageSize` tasks out of what a ``TaskListQuery/storeQuery(for:)`` query `found`, with a
    /// `nextCursor` only when more tasks follow.
    init(found: [TaskRecord], pageSize: Int) {
        let page = Array(found.prefix(pageSize))
        let more = found.count > pageSize
        self.init(tasks: page, nextCursor: more ? page.last.map { TaskListCursor.encode(TaskListPosition($0)) } : nil)
    }
}
