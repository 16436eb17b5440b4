import ErrandEngine
import ErrandProtocol
import Testing

/// The ``TaskStore`` contract, run against every store: what one store does, every store must do.
@Suite struct TaskStoreContractTests {
    @Test(arguments: StoreKind.allCases)
    func everyFieldRoundTripsExactly(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        var result = record(TaskID("not-a-uuid"), status: .completed)
        result.outcome = .result(["content": [["type": "text", "text": "done"]], "isError": false])
        result.progress = TaskProgress(current: 3, total: 3, message: nil)
        let rich = richRecord()
        for task in [rich, result] { try await store.insert(task) }
        #expect(try await store.task(rich.id) == rich)
        #expect(try await store.task(result.id) == result)
        #expect(try await store.task(TaskID("missing")) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func listingByParentFindsOnlyThatTasksChildren(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        let parent = record(status: .working)
        var children: [TaskRecord] = []
        for n in 0..<3 {
            var child = record(status: .queued)
            child.createdAt = parent.createdAt + Int64(n) + 1
            child.parent = parent.id
            children.append(child)
        }
        var stranger = record(status: .queued)
        stranger.parent = TaskID("someone-else")
        for task in [parent, stranger] + children { try await store.insert(task) }
        let found = try await store.list(TaskStoreQuery(requester: .anonymous, limit: 10, parent: parent.id))
        #expect(found.map(\.id) == children.reversed().map(\.id))  // newest first
        #expect(found.allSatisfy { $0.parent == parent.id })
        let page = try await store.list(TaskStoreQuery(requester: .anonymous, limit: 2, parent: parent.id))
        #expect(page.count == 2)
        var updated = children[0]
        updated.status = .completed
        try await store.update(updated)
        let after = try await store.list(TaskStoreQuery(requester: .anonymous, limit: 10, parent: parent.id))
        #expect(after.contains(updated))
    }

    @Test(arguments: StoreKind.allCases)
    func insertingAnIdTwiceThrowsAndKeepsTheFirst(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        let first = record(status: .working)
        try await store.insert(first)
        var second = first
        second.status = .completed
        second.target = "other"
        await #expect(throws: (any Error).self) { try await store.insert(second) }
        #expect(try await store.task(first.id) == first)
        #expect(try await store.counts() == [.working: 1])
    }

    @Test(arguments: StoreKind.allCases)
    func updateReplacesAndIgnoresUnknownIds(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        var task = record(status: .working, ttl: nil)
        try await store.insert(task)
        task.status = .completed
        task.statusMessage = "done"
        task.outcome = .result(["ok": true])
        task.ttlMs = 5
        task.history.append(TaskHistoryEntry(at: 1001, status: .completed, message: "done", attempt: 1))
        try await store.update(task)
        #expect(try await store.task(task.id) == task)
        #expect(try await store.counts() == [.completed: 1])
        #expect(try await store.expired(nowMs: 1005, limit: 10).map(\.id) == [task.id])

        let ghost = record(status: .failed)
        try await store.update(ghost)
        #expect(try await store.task(ghost.id) == nil)
        #expect(try await store.counts() == [.completed: 1])
    }

    @Test(arguments: StoreKind.allCases)
    func updateMayChangeOwnerTargetAndCreationTime(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        let other = record(createdAt: 50)
        var task = record(createdAt: 100, owner: TaskOwner(principal: "alice", session: "s1"), target: "a")
        try await store.insert(other)
        try await store.insert(task)
        task.createdAt = 10
        task.owner = TaskOwner(principal: "bob", team: "red", session: "s2")
        task.target = "b"
        try await store.update(task)
        #expect(try await store.task(task.id) == task)
        let listed = try await store.list(TaskStoreQuery(requester: TaskOwner(team: "red"), limit: 10))
        #expect(listed.map(\.id) == [other.id, task.id])
        let bySession = try await store.list(TaskStoreQuery(requester: .anonymous, session: "s2", limit: 10))
        #expect(bySession.isEmpty)  // the anonymous requester may not see bob's task
        let byTarget = try await store.list(
            TaskStoreQuery(requester: TaskOwner(principal: "bob"), session: "s2", target: "b", limit: 10))
        #expect(byTarget.map(\.id) == [task.id])
    }

    @Test(arguments: StoreKind.allCases)
    func deleteRemovesAndIgnoresUnknownIds(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        let tasks = (0..<5).map { record(createdAt: Int64($0)) }
        for task in tasks { try await store.insert(task) }
        try await store.delete([tasks[1].id, TaskID("unknown"), tasks[3].id])
        try await store.delete([])
        #expect(try await store.task(tasks[1].id) == nil)
        #expect(try await store.task(tasks[0].id) == tasks[0])
        let listed = try await store.list(TaskStoreQuery(requester: .anonymous, limit: 100))
        #expect(listed.map(\.id) == [tasks[4].id, tasks[2].id, tasks[0].id])
        #expect(try await store.counts() == [.completed: 3])
    }

    @Test(arguments: StoreKind.allCases)
    func listIsNewestFirstWithTiesBrokenByIdBytes(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        // Ids whose byte order differs from any case-insensitive or locale order, all at one createdAt.
        let tied = ["B", "a", "aa", "a-", "Z", "é", "z", "0"].map { record(TaskID($0), createdAt: 2000) }
        let others = [record(TaskID("m"), createdAt: 1999), record(TaskID("m2"), createdAt: 2001)]
        for task in (tied + others).shuffled() { try await store.insert(task) }
        let all = try await store.list(TaskStoreQuery(requester: .anonymous, limit: 100))
        #expect(all.map(\.id.rawValue) == ["m2", "é", "z", "aa", "a-", "a", "Z", "B", "0", "m"])

        // Pages of 3 through the tie, each starting after the last task of the previous page.
        var paged: [String] = []
        var after: TaskListPosition?
        while true {
            let page = try await store.list(TaskStoreQuery(requester: .anonymous, after: after, limit: 3))
            paged += page.map(\.id.rawValue)
            guard let last = page.last, page.count == 3 else { break }
            after = TaskListPosition(last)
        }
        #expect(paged == all.map(\.id.rawValue))
    }

    @Test(arguments: StoreKind.allCases)
    func listFiltersAndAccessMatchTheProtocolRules(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        let owners = [
            TaskOwner(session: "s1"), TaskOwner(session: "s2"), TaskOwner(),
            TaskOwner(principal: "alice", team: "red", session: "s1"),
            TaskOwner(principal: "bob", team: "red", session: "s3"),
            TaskOwner(principal: "carol", team: nil, session: "s4"),
            TaskOwner(principal: "dave", team: "blue", session: nil),
        ]
        var generator = SystemRandomNumberGenerator()
        var tasks: [TaskRecord] = []
        for index in 0..<300 {
            let status = TaskStatus.allCases.randomElement(using: &generator)!
            let task = record(
                createdAt: Int64.random(in: 0..<60, using: &generator), status: status,
                owner: owners[index % owners.count], target: ["a", "b", "c"][index % 3])
            tasks.append(task)
        }
        for task in tasks { try await store.insert(task) }

        let requesters = [
            TaskOwner.anonymous, TaskOwner(session: "s1"), TaskOwner(principal: "alice", team: "red"),
            TaskOwner(principal: "alice"), TaskOwner(principal: "eve", team: "red"), TaskOwner(principal: "carol"),
            TaskOwner(principal: nil, team: "blue"),
        ]
        let statusSets: [Set<TaskStatus>?] = [nil, [.completed], [.queued, .working, .inputRequired], []]
        var checked = 0
        for requester in requesters {
            for session in [nil, "s1", "s4"] as [String?] {
                for statuses in statusSets {
                    for target in [nil, "b"] as [String?] {
                        let ranges: [(Int64?, Int64?)] = [(nil, nil), (10, nil), (nil, 30), (20, 20), (15, 45)]
                        for (createdAfter, createdBefore) in ranges {
                            let query = TaskStoreQuery(
                                requester: requester, session: session, statuses: statuses, target: target,
                                createdAfter: createdAfter, createdBefore: createdBefore, limit: 1000)
                            let listed = try await store.list(query).map(\.id)
                            #expect(listed == expectedList(tasks, query), "\(query)")
                            checked += 1
                        }
                    }
                }
            }
        }
        #expect(checked == requesters.count * 3 * statusSets.count * 2 * 5)

        // Pagination with filters: small pages concatenate to the full answer.
        let query = TaskStoreQuery(requester: TaskOwner(principal: "eve", team: "red"), target: "a", limit: 7)
        var paged: [TaskID] = []
        var page = try await store.list(query)
        while !page.isEmpty {
            paged += page.map(\.id)
            var next = query
            next.after = TaskListPosition(page.last!)
            page = try await store.list(next)
        }
        var everything = query
        everything.limit = 1000
        #expect(paged == expectedList(tasks, everything))
        #expect(try await store.list(TaskStoreQuery(requester: .anonymous, limit: 0)).count == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func expiredReturnsOnlyTerminalTasksDueByNow(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        let due = [
            record(createdAt: 0, status: .completed, ttl: 100), record(createdAt: 50, status: .failed, ttl: 50),
            record(createdAt: 10, status: .cancelled, ttl: 90),
        ]
        let notDue = [
            record(createdAt: 0, status: .completed, ttl: 101), record(createdAt: 0, status: .working, ttl: 1),
            record(createdAt: 0, status: .queued, ttl: 1), record(createdAt: 0, status: .inputRequired, ttl: 1),
            record(createdAt: 0, status: .completed, ttl: nil),
        ]
        for task in due + notDue { try await store.insert(task) }
        let expired = try await store.expired(nowMs: 100, limit: 10)
        #expect(Set(expired.map(\.id)) == Set(due.map(\.id)))
        #expect(try await store.expired(nowMs: 100, limit: 2).count == 2)
        #expect(try await store.expired(nowMs: 99, limit: 10).map(\.id) == [])
    }

    @Test(arguments: StoreKind.allCases)
    func unfinishedAndCountsFollowEveryStatus(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        var tasks: [TaskRecord] = []
        for (index, status) in TaskStatus.allCases.enumerated() {
            for copy in 0...index { tasks.append(record(createdAt: Int64(copy), status: status)) }
        }
        for task in tasks { try await store.insert(task) }
        let unfinished = try await store.unfinished()
        #expect(Set(unfinished.map(\.id)) == Set(tasks.filter { !$0.status.isTerminal }.map(\.id)))
        #expect(unfinished.count == unfinished.map(\.id).count)
        var expected: [TaskStatus: Int] = [:]
        for (index, status) in TaskStatus.allCases.enumerated() { expected[status] = index + 1 }
        #expect(try await store.counts() == expected)

        var moved = tasks[0]
        moved.status = .cancelled
        try await store.update(moved)
        expected[.queued] = nil  // it had one task; statuses with none may be missing
        expected[.cancelled]! += 1
        #expect(try await store.counts() == expected)
        #expect(try await store.unfinished().contains { $0.id == moved.id } == false)
    }

    /// Recovery's pages: unfinished tasks of every status, oldest first by (createdAt, id), strictly after the
    /// position, never a terminal one, each once.
    @Test(arguments: StoreKind.allCases)
    func unfinishedPagesAreOldestFirstAcrossStatuses(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        var tasks: [TaskRecord] = []
        for (index, status) in TaskStatus.allCases.enumerated() {
            for copy in 0..<4 { tasks.append(record(createdAt: Int64((index + copy) % 3), status: status)) }
        }
        for task in tasks { try await store.insert(task) }
        let expected = tasks.filter { !$0.status.isTerminal }
            .sorted { TaskListPosition($1).precedes(TaskListPosition($0)) }.map(\.id)
        var read: [TaskID] = []
        var position: TaskListPosition?
        while true {
            let page = try await store.unfinished(after: position, limit: 5)
            #expect(page.count <= 5)
            guard let last = page.last else { break }
            read += page.map(\.id)
            position = TaskListPosition(last)
        }
        #expect(read == expected)
        #expect(try await store.unfinished(after: nil, limit: 0).isEmpty)
    }
}
