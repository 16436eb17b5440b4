#if Postgres
    import ErrandEngine
    import ErrandPostgres
    import ErrandProtocol
    import Testing

    /// The dashboard's reads on PostgreSQL: the tally each requester may see, owner/team/oldest-first pages and the
    /// lease holders of `/api/cluster`.
    @Suite struct PostgresStoreDashboardTests {
        @Test func tallyCountsWhatEachRequesterMaySee() async throws {
            try await withStore { store, _ in
                let alice = TaskOwner(principal: "alice", team: "red", session: "a")
                let bob = TaskOwner(principal: "bob", session: "b")
                let tasks = [
                    makeTask(createdAt: 1_000, target: "a"), makeTask(createdAt: 1_001, owner: alice, target: "b"),
                    makeTask(createdAt: 1_002, owner: alice, target: "b"), makeTask(createdAt: 1_003, owner: bob),
                ]
                for task in tasks { try await store.insert(task, origin: "n") }
                for requester in [
                    TaskOwner.anonymous, TaskOwner(principal: "alice", team: "red"),
                    TaskOwner(principal: "carol", team: "red"),
                    TaskOwner(principal: "bob"),
                ] {
                    var expected = TaskTally()
                    for task in tasks where requester.mayAccess(task.owner) {
                        expected.add(1, target: task.target, status: task.status)
                    }
                    #expect(try await store.tally(visibleTo: requester) == expected, "\(requester)")
                }
                #expect(try await store.tally(visibleTo: TaskOwner(principal: "carol", team: "red")).total == 3)
            }
        }

        @Test func pagesOldestFirstAndByOwnerAndTeam() async throws {
            try await withStore { store, _ in
                let alice = TaskOwner(principal: "alice", team: "red", session: "a")
                let tasks = (0..<7).map { index in
                    makeTask(createdAt: 1_000 + Int64(index / 2), owner: index % 2 == 0 ? alice : .anonymous)
                }
                for task in tasks.shuffled() { try await store.insert(task, origin: "n") }
                let ascending = tasks.sorted { TaskListPosition($1).precedes(TaskListPosition($0)) }.map(\.id)
                var query = TaskStoreQuery(requester: .anonymous, limit: 3, oldestFirst: true)
                query.requester = TaskOwner(principal: "alice", team: "red")
                var seen: [TaskID] = []
                while true {
                    let page = try await store.list(query)
                    seen += page.map(\.id)
                    guard page.count == query.limit, let last = page.last else { break }
                    query.after = TaskListPosition(last)
                }
                #expect(seen == ascending)
                let requester = TaskOwner(principal: "alice", team: "red")
                let byOwner = try await store.list(TaskStoreQuery(requester: requester, limit: 10, principal: "alice"))
                #expect(Set(byOwner.map(\.id)) == Set(tasks.filter { $0.owner.principal == "alice" }.map(\.id)))
                let byTeam = try await store.list(TaskStoreQuery(requester: requester, limit: 10, team: "blue"))
                #expect(byTeam.isEmpty)
            }
        }

        @Test func leaseHoldingsGroupTheLeasesOfEachNodeAndTool() async throws {
            try await withStore { store, _ in
                for (index, target) in ["crunch", "crunch", "render"].enumerated() {
                    try await store.insert(makeTask(createdAt: 1_000 + Int64(index), target: target), origin: "n")
                }
                #expect(try await store.leaseHoldings().isEmpty)
                #expect(try await store.claim(node: "a", limit: 2, nowMs: 5_000, leaseMs: 1_000).count == 2)
                #expect(try await store.claim(node: "b", limit: 1, nowMs: 6_000, leaseMs: 1_000).count == 1)
                let holdings = try await store.leaseHoldings().sorted { ($0.node, $0.target) < ($1.node, $1.target) }
                #expect(
                    holdings == [
                        LeaseHolding(
                            node: "a", target: "crunch", count: 2, earliestUntilMs: 6_000, latestUntilMs: 6_000),
                        LeaseHolding(
                            node: "b", target: "render", count: 1, earliestUntilMs: 7_000, latestUntilMs: 7_000),
                    ])
            }
        }
    }
#endif
