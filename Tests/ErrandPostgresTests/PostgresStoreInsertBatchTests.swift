#if Postgres
    import ErrandEngine
    @testable import ErrandPostgres
    import ErrandProtocol
    import Synchronization
    import Testing

    /// New tasks submitted at the same moment share one statement: each is checked against its owner's limit there,
    /// stored exactly as given, and signalled.
    @Suite struct PostgresStoreInsertBatchTests {
        @Test func concurrentInsertsMeetTheOwnersLimitExactly() async throws {
            try await withStore { store, _ in
                // Two of ann's tasks exist already; 40 more arrive at once with a limit of 10, and 5 of bob's.
                for _ in 0..<2 { try await store.insert(makeTask(owner: .init(principal: "ann")), origin: "a") }
                let outcomes = try await withThrowingTaskGroup(of: (String, ClusterInsertOutcome).self) { group in
                    for index in 0..<45 {
                        let owner = index < 40 ? "ann" : "bob"
                        group.addTask {
                            let task = makeTask(owner: .init(principal: owner))
                            return (owner, try await store.insert(task, origin: "a", ownerLimit: 10))
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let ann = outcomes.filter { $0.0 == "ann" }.map(\.1)
                #expect(ann.count { $0 == .inserted } == 8)
                #expect(ann.count { if case .ownerAtLimit(let active) = $0 { active >= 10 } else { false } } == 32)
                #expect(outcomes.filter { $0.0 == "bob" }.allSatisfy { $0.1 == .inserted })
                #expect(try await store.activeCount(ownerKey: TaskOwner(principal: "ann").quotaKey) == 10)
                #expect(try await store.activeCount(ownerKey: TaskOwner(principal: "bob").quotaKey) == 5)
            }
        }

        @Test func limitCountsOnlyUnfinishedTasks() async throws {
            try await withStore { store, _ in
                let owner = TaskOwner(principal: "ann")
                try await store.insert(makeTask(owner: owner), origin: "a")
                #expect(
                    try await store.insert(makeTask(owner: owner), origin: "a", ownerLimit: 1)
                        == .ownerAtLimit(active: 1))
                let claimed = try #require(
                    try await store.claim(node: "a", limit: 1, nowMs: 2_000, leaseMs: 5_000).first)
                let done = try #require(claimed.record.transitioning(to: .completed, message: nil, at: 2_100))
                #expect(try await store.write(done, lease: claimed.lease, change: .status, runAfterMs: nil))
                #expect(try await store.insert(makeTask(owner: owner), origin: "a", ownerLimit: 1) == .inserted)
            }
        }

        @Test func tasksInsertedTogetherReadBackExactlyAndAreEachSignalled() async throws {
            try await withStore { store, database in
                let other = try await database.open()
                defer { Task { await other.close() } }
                let watcher = SignalRecorder(other.signals(node: "b"))
                let parent = makeTask()
                try await store.insert(parent, origin: "a")
                // Every optional column both present and absent, sent at once.
                let tasks = (0..<30).map { index in
                    var task = makeTask(
                        createdAt: 1_000 + Int64(index), priority: index % 3,
                        owner: TaskOwner(
                            principal: index % 2 == 0 ? "p\(index)" : nil, team: index % 3 == 0 ? "t" : nil,
                            session: index % 5 == 0 ? nil : "s\(index)"),
                        ttlMs: index % 4 == 0 ? nil : 60_000)
                    if index % 2 == 1 { task.parent = parent.id }
                    return task
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for task in tasks { group.addTask { try await store.insert(task, origin: "a") } }
                    try await group.waitForAll()
                }
                for task in tasks { #expect(try await store.task(task.id) == task) }
                for task in tasks {
                    #expect(await watcher.wait { $0 == .changed(task.id, .created, status: .queued) })
                }
                // Each batch announces its tasks before its wake: the last signal is a wake.
                #expect(await watcher.waitUntil { $0.last == .wake })
            }
        }

        @Test func aTaskWhoseIdExistsFailsAloneInItsBatch() async throws {
            try await withStore { store, _ in
                let existing = makeTask()
                try await store.insert(existing, origin: "a")
                let fresh = (0..<5).map { _ in makeTask() }
                let results = await withTaskGroup(of: (TaskID, Bool).self) { group in
                    for task in fresh + [existing] {
                        group.addTask {
                            (task.id, (try? await store.insert(task, origin: "a", ownerLimit: 100)) != nil)
                        }
                    }
                    return await group.reduce(into: [TaskID: Bool]()) { $0[$1.0] = $1.1 }
                }
                #expect(results[existing.id] == false)
                for task in fresh {
                    #expect(results[task.id] == true)
                    #expect(try await store.task(task.id) == task)
                }
            }
        }
    }

    /// The queue that groups statements, without a database.
    @Suite struct GroupCommitQueueTests {
        /// Holds each batch until the test releases it, and remembers the batches.
        final class HeldBatches: Sendable {
            let batches = Mutex<[[Int]]>([])
            let gates = Mutex<[CheckedContinuation<Void, Never>]>([])

            func execute(_ batch: [Int]) async -> [Int] {
                await withCheckedContinuation { continuation in
                    batches.withLock { $0.append(batch) }
                    gates.withLock { $0.append(continuation) }
                }
                return batch.map { $0 * 10 }
            }

            var held: Int { gates.withLock { $0.count } }

            func releaseAll() {
                for gate in gates.withLock({ gates in
                    defer { gates = [] }; return gates
                }) { gate.resume() }
            }
        }

        @Test func itemsArrivingWhileABatchIsInFlightGoTogetherOnePerTask() async throws {
            let held = HeldBatches()
            let ids = (0..<4).map { _ in TaskID.random() }
            let queue = GroupCommitQueue<Int, Int>(maxBatch: 3, taskID: { ids[$0 % 4] }) { await held.execute($0) }
            let first = Task { try await queue.submit(0) }
            while held.held < 1 { await Task.yield() }
            // While 0 is in flight: 1, 2, 3 and 5 (the same task as 1) wait.
            let waiting = [1, 2, 3, 5].map { item in Task { try await queue.submit(item) } }
            while queue.waitingCount < 4 { await Task.yield() }
            held.releaseAll()
            #expect(try await first.value == 0)
            while held.held < 1 { await Task.yield() }
            #expect(held.batches.withLock { $0 } == [[0], [1, 2, 3]])
            held.releaseAll()
            while held.held < 1 { await Task.yield() }
            #expect(held.batches.withLock { $0 }.last == [5])
            held.releaseAll()
            #expect(try await waiting.asyncMap { try await $0.value } == [10, 20, 30, 50])
        }

        @Test func aSecondBatchGoesWhileTheFirstIsInFlightButNeverASecondItemOfABusyTask() async throws {
            let held = HeldBatches()
            let ids = (0..<2).map { _ in TaskID.random() }
            let queue = GroupCommitQueue<Int, Int>(maxBatch: 8, maxInFlight: 2, taskID: { ids[$0 % 2] }) {
                await held.execute($0)
            }
            let first = Task { try await queue.submit(0) }
            while held.held < 1 { await Task.yield() }
            // 2 is the same task as 0, in flight: it waits although a second batch could go.
            let sameTask = Task { try await queue.submit(2) }
            while queue.waitingCount < 1 { await Task.yield() }
            let otherTask = Task { try await queue.submit(1) }
            while held.held < 2 { await Task.yield() }
            #expect(held.batches.withLock { $0 } == [[0], [1]])
            #expect(queue.waitingCount == 1)
            held.releaseAll()
            #expect(try await first.value == 0)
            #expect(try await otherTask.value == 10)
            while held.held < 1 { await Task.yield() }
            #expect(held.batches.withLock { $0 }.last == [2])
            held.releaseAll()
            #expect(try await sameTask.value == 20)
        }

        @Test func aFailedBatchFailsEachOfItsItems() async throws {
            struct Refused: Error {}
            let queue = GroupCommitQueue<Int, Int>(maxBatch: 8, taskID: { _ in TaskID.random() }) { _ in throw Refused()
            }
            await #expect(throws: Refused.self) { try await queue.submit(1) }
        }

        @Test func aBatchAnsweringTooFewOutcomesIsAnError() async throws {
            let queue = GroupCommitQueue<Int, Int>(maxBatch: 8, taskID: { _ in TaskID.random() }) { _ in [] }
            await #expect(throws: PostgresClusterStoreError.self) { try await queue.submit(1) }
        }
    }

    extension Array {
        fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
            var result: [T] = []
            for element in self { result.append(try await transform(element)) }
            return result
        }
    }
#endif
