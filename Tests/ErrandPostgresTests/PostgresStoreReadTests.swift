#if Postgres
    import ErrandEngine
    import ErrandPostgres
    import ErrandProtocol
    import Testing

    @Suite struct PostgresStoreReadTests {
        @Test func insertedTaskReadsBackExactly() async throws {
            try await withStore { store, _ in
                var task = makeTask(owner: TaskOwner(principal: "ann", team: "red", session: "s1"), ttlMs: 60_000)
                task.progress = TaskProgress(current: 1, total: 4, message: "step")
                task.requestMeta = ["progressToken": 7]
                try await store.insert(task, origin: "a")
                #expect(try await store.task(task.id) == task)
                #expect(try await store.task(TaskID.random()) == nil)
            }
        }

        @Test func duplicateInsertIsRefused() async throws {
            try await withStore { store, _ in
                let task = makeTask()
                try await store.insert(task, origin: "a")
                await #expect(throws: PostgresClusterStoreError.duplicateID(task.id.rawValue)) {
                    try await store.insert(task, origin: "a")
                }
            }
        }

        @Test func listByParentFindsOnlyThatTasksChildren() async throws {
            try await withStore { store, _ in
                let parent = makeTask()
                try await store.insert(parent, origin: "n")
                var children: [TaskRecord] = []
                for index in 0..<3 {
                    var child = makeTask(createdAt: 2_000 + Int64(index))
                    child.parent = parent.id
                    children.append(child)
                    try await store.insert(child, origin: "n")
                }
                var stranger = makeTask(createdAt: 3_000)
                stranger.parent = TaskID.random()
                try await store.insert(stranger, origin: "n")
                let found = try await store.list(TaskStoreQuery(requester: .anonymous, limit: 10, parent: parent.id))
                #expect(found == children.reversed())
                #expect(try await store.task(children[0].id)?.parent == parent.id)
            }
        }

        @Test func listIsNewestFirstPagedAndScopedToTheRequester() async throws {
            try await withStore { store, _ in
                let ann = TaskOwner(principal: "ann", team: "red", session: "s1")
                let bob = TaskOwner(principal: "bob", team: "red", session: "s2")
                let eve = TaskOwner(principal: "eve", team: "blue", session: "s3")
                var tasks: [TaskRecord] = []
                for index in 0..<6 {
                    let owner = [ann, bob, eve][index % 3]
                    let task = makeTask(
                        createdAt: 1_000 + Int64(index / 2), owner: owner, target: index < 3 ? "a" : "b")
                    tasks.append(task)
                    try await store.insert(task, origin: "n")
                }
                let expectedOrder = tasks.sorted { TaskListPosition($0).precedes(TaskListPosition($1)) }
                let admin = TaskOwner(principal: "ann", team: "red")
                let visible = expectedOrder.filter { admin.mayAccess($0.owner) }
                #expect(try await store.list(TaskStoreQuery(requester: admin, limit: 100)) == visible)

                let firstPage = try await store.list(TaskStoreQuery(requester: admin, limit: 2))
                #expect(firstPage == Array(visible.prefix(2)))
                let secondPage = try await store.list(
                    TaskStoreQuery(requester: admin, after: TaskListPosition(firstPage[1]), limit: 100))
                #expect(secondPage == Array(visible.dropFirst(2)))

                let onlyB = try await store.list(TaskStoreQuery(requester: admin, target: "b", limit: 100))
                #expect(onlyB == visible.filter { $0.target == "b" })
                let session = try await store.list(TaskStoreQuery(requester: admin, session: "s2", limit: 100))
                #expect(session.map(\.owner) == visible.filter { $0.owner.session == "s2" }.map(\.owner))
                #expect(!session.isEmpty)
                let anonymous = try await store.list(TaskStoreQuery(requester: .anonymous, limit: 100))
                #expect(anonymous.isEmpty)
                let recent = try await store.list(TaskStoreQuery(requester: admin, createdAfter: 1_002, limit: 100))
                #expect(recent == visible.filter { $0.createdAt >= 1_002 })
            }
        }

        @Test func countsAndActiveCountFollowStatus() async throws {
            try await withStore { store, _ in
                let owner = TaskOwner(session: "s1")
                let first = makeTask(owner: owner)
                let second = makeTask(owner: owner)
                try await store.insert(first, origin: "n")
                try await store.insert(second, origin: "n")
                try await store.insert(makeTask(owner: TaskOwner(session: "other")), origin: "n")
                #expect(try await store.counts() == [.queued: 3])
                #expect(try await store.activeCount(ownerKey: owner.quotaKey) == 2)
                _ = try await store.cancel(first.id, message: "stop", nowMs: 2_000, origin: "n")
                #expect(try await store.counts() == [.queued: 2, .cancelled: 1])
                #expect(try await store.activeCount(ownerKey: owner.quotaKey) == 1)
            }
        }

        @Test func expiredAndDeleteTouchOnlyTerminalTasks() async throws {
            try await withStore { store, _ in
                let finished = makeTask(createdAt: 1_000, ttlMs: 500)
                let running = makeTask(createdAt: 1_000, ttlMs: 500)
                let fresh = makeTask(createdAt: 1_000, ttlMs: 50_000)
                for task in [finished, running, fresh] { try await store.insert(task, origin: "n") }
                _ = try await store.cancel(finished.id, message: "done", nowMs: 1_100, origin: "n")
                _ = try await store.cancel(fresh.id, message: "done", nowMs: 1_100, origin: "n")
                _ = try await store.claim(node: "n", limit: 1, nowMs: 1_200, leaseMs: 10_000)

                #expect(try await store.expired(nowMs: 2_000, limit: 10).map(\.id) == [finished.id])
                let deleted = try await store.delete([finished.id, running.id, TaskID.random()], origin: "n")
                #expect(deleted.map(\.id) == [finished.id])
                #expect(try await store.task(finished.id) == nil)
                #expect(try await store.task(running.id)?.status == .working)
                #expect(try await store.delete([], origin: "n").isEmpty)
            }
        }
    }
#endif
