import ErrandEngine
import ErrandProtocol
import Testing

/// ``TaskStore/tally(visibleTo:)`` and the owner, team and oldest-first conditions of ``TaskStoreQuery``, run against
/// every store.
@Suite struct TaskTallyContractTests {
    /// Anonymous tasks (open to all), alice and carol of team red, bob alone; two tools.
    static func seededTasks() -> [TaskRecord] {
        let alice = TaskOwner(principal: "alice", team: "red", session: "a")
        let carol = TaskOwner(principal: "carol", team: "red", session: "c")
        let bob = TaskOwner(principal: "bob", session: "b")
        let anonymous = TaskOwner(session: "x")
        let specs: [(TaskOwner, String, TaskStatus)] = [
            (anonymous, "a", .completed), (anonymous, "a", .completed), (alice, "b", .completed),
            (alice, "b", .completed), (alice, "b", .failed), (carol, "a", .working), (bob, "b", .queued),
            (bob, "a", .cancelled),
        ]
        return specs.enumerated().map { index, spec in
            record(createdAt: 1000 + Int64(index / 2), status: spec.2, owner: spec.0, target: spec.1)
        }
    }

    /// The tally a requester must get, counted from the records with ``TaskOwner/mayAccess(_:)``.
    static func expectedTally(_ tasks: [TaskRecord], _ requester: TaskOwner) -> TaskTally {
        var tally = TaskTally()
        for task in tasks where requester.mayAccess(task.owner) {
            tally.add(1, target: task.target, status: task.status)
        }
        return tally
    }

    static let requesters = [
        TaskOwner.anonymous, TaskOwner(principal: "alice", team: "red"), TaskOwner(principal: "bob"),
        TaskOwner(principal: "dave", team: "red"), TaskOwner(principal: "eve", team: "blue"),
    ]

    @Test(arguments: StoreKind.allCases)
    func tallyCountsWhatEachRequesterMaySee(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        var tasks = Self.seededTasks()
        for task in tasks { try await store.insert(task) }
        for requester in Self.requesters {
            #expect(try await store.tally(visibleTo: requester) == Self.expectedTally(tasks, requester), "\(requester)")
        }
        let alice = try await store.tally(visibleTo: TaskOwner(principal: "alice", team: "red"))
        #expect(alice.byStatus == [.completed: 4, .failed: 1, .working: 1])
        #expect(alice.byTarget["b"] == [.completed: 2, .failed: 1])
        #expect(alice.total == 6)

        // Status changes and deletions move the counts.
        tasks[5].status = .completed
        try await store.update(tasks[5])
        try await store.delete([tasks[0].id, tasks[4].id])
        let remaining = tasks.filter { $0.id != tasks[0].id && $0.id != tasks[4].id }
        for requester in Self.requesters {
            #expect(
                try await store.tally(visibleTo: requester) == Self.expectedTally(remaining, requester), "\(requester)")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func theListingDefaultTalliesLikeTheStoreItself(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        // More than one page of the default's 1,000-task reads.
        for index in 0..<2_100 {
            let owner = index % 3 == 0 ? TaskOwner(principal: "alice", team: "red") : TaskOwner(session: "s")
            let status: TaskStatus = index % 7 == 0 ? .failed : .completed
            try await store.insert(
                record(createdAt: Int64(index / 4), status: status, owner: owner, target: "t\(index % 4)"))
        }
        let listing = ListingOnlyStore(base: store)
        for requester in Self.requesters {
            let direct = try await store.tally(visibleTo: requester)
            #expect(try await listing.tally(visibleTo: requester) == direct, "\(requester)")
        }
        #expect(try await store.tally(visibleTo: TaskOwner(principal: "alice")).total == 2_100)
    }

    @Test(arguments: StoreKind.allCases)
    func pagingOldestFirstVisitsEveryTaskOnceInAscendingOrder(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        // Several tasks share each createdAt: the id breaks the ties.
        let tasks = (0..<23).map { index in record(createdAt: 500 + Int64(index / 3)) }
        for task in tasks.shuffled() { try await store.insert(task) }
        let ascending = tasks.sorted { TaskListPosition($1).precedes(TaskListPosition($0)) }.map(\.id)
        for oldestFirst in [true, false] {
            var query = TaskStoreQuery(requester: .anonymous, limit: 5, oldestFirst: oldestFirst)
            var seen: [TaskID] = []
            while true {
                let page = try await store.list(query)
                seen += page.map(\.id)
                guard page.count == query.limit, let last = page.last else { break }
                query.after = TaskListPosition(last)
            }
            #expect(seen == (oldestFirst ? ascending : ascending.reversed()), "oldestFirst: \(oldestFirst)")
        }
        // The time range bounds an oldest-first list from above as well.
        let bounded = try await store.list(
            TaskStoreQuery(requester: .anonymous, createdAfter: 502, createdBefore: 504, limit: 100, oldestFirst: true))
        #expect(bounded.map(\.id) == Array(ascending[6..<12]))
    }

    @Test(arguments: StoreKind.allCases)
    func listingFiltersByPrincipalAndTeamWithinWhatTheRequesterMaySee(kind: StoreKind) async throws {
        let directory = TemporaryDirectory()
        let store = try kind.make(in: directory)
        let tasks = Self.seededTasks()
        for task in tasks { try await store.insert(task) }
        let alice = TaskOwner(principal: "alice", team: "red")
        let queries = [
            TaskStoreQuery(requester: alice, limit: 100, principal: "carol"),
            TaskStoreQuery(requester: alice, limit: 100, team: "red"),
            TaskStoreQuery(requester: alice, limit: 100, principal: "bob"),  // not visible to alice: nothing
            TaskStoreQuery(requester: .anonymous, limit: 100, principal: "alice"),
            TaskStoreQuery(requester: alice, limit: 100, principal: "alice", team: "red", oldestFirst: true),
        ]
        for query in queries {
            var expected = expectedList(tasks, query)
            if query.oldestFirst { expected.reverse() }
            #expect(try await store.list(query).map(\.id) == expected, "\(query)")
        }
        #expect(try await store.list(TaskStoreQuery(requester: alice, limit: 100, principal: "carol")).count == 1)
        #expect(try await store.list(TaskStoreQuery(requester: alice, limit: 100, principal: "bob")).isEmpty)
    }
}

/// A store that forwards everything but ``TaskStore/tally(visibleTo:)``, so the protocol's listing default answers.
struct ListingOnlyStore: TaskStore {
    let base: any TaskStore
    func insert(_ task: TaskRecord) async throws { try await base.insert(task) }
    func update(_ task: TaskRecord) async throws { try await base.update(task) }
    func task(_ id: TaskID) async throws -> TaskRecord? { try await base.task(id) }
    func list(_ query: TaskStoreQuery) async throws -> [TaskRecord] { try await base.list(query) }
    func delete(_ ids: [TaskID]) async throws { try await base.delete(ids) }
    func expired(nowMs: Int64, limit: Int) async throws -> [TaskRecord] {
        try await base.expired(nowMs: nowMs, limit: limit)
    }
    func unfinished() async throws -> [TaskRecord] { try await base.unfinished() }
    func counts() async throws -> [TaskStatus: Int] { try await base.counts() }
}
