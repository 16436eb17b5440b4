import ErrandEngine
import ErrandProtocol
import ErrandSQLite
import Testing

/// Writes that arrive together share transactions, and each caller still gets its own answer.
@Suite struct GroupCommitTests {
    @Test func aThousandConcurrentWritesAreAllCommittedInFewerTransactions() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("errand.sqlite")
        let store = try SQLiteTaskStore(path: path)
        let tasks = (0..<1000).map { record(createdAt: Int64($0), status: .working) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in tasks {
                group.addTask {
                    try await store.insert(task)
                    var done = task
                    done.status = .completed
                    done.outcome = .result(["n": .int(task.createdAt)])
                    try await store.update(done)
                    // Acknowledged means readable.
                    #expect(try await store.task(task.id)?.status == .completed)
                }
            }
            try await group.waitForAll()
        }
        let statistics = store.commitStatistics
        #expect(statistics.writes == 2000)
        #expect(statistics.transactions < 2000, "no batching: \(statistics)")
        #expect(try await store.counts() == [.completed: 1000])
        try await store.close()

        let reopened = try SQLiteTaskStore(path: path)
        for task in tasks {
            let stored = try await reopened.task(task.id)
            #expect(stored?.status == .completed && stored?.outcome == .result(["n": .int(task.createdAt)]))
        }
        try await reopened.close()
    }

    @Test func aDuplicateInsertFailsAloneWithoutRollingBackItsBatch() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteTaskStore(path: directory.file("errand.sqlite"))
        let existing = record()
        try await store.insert(existing)
        let fresh = (0..<200).map { record(createdAt: Int64($0)) }
        let outcomes = try await withThrowingTaskGroup(of: (TaskID, Bool).self) { group in
            for (index, task) in fresh.enumerated() {
                group.addTask {
                    try await store.insert(task)
                    return (task.id, true)
                }
                if index % 50 == 0 {
                    group.addTask {
                        do {
                            try await store.insert(existing)
                            return (existing.id, true)
                        } catch {
                            #expect(error as? SQLiteTaskStoreError == .duplicateID(existing.id.rawValue))
                            return (existing.id, false)
                        }
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0.1 }.count == 200)
        #expect(outcomes.filter { !$0.1 }.count == 4)
        #expect(try await store.counts() == [.completed: 201])
        try await store.close()
    }

    @Test func closeCommitsEveryAcceptedWriteFirst() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("errand.sqlite")
        let store = try SQLiteTaskStore(path: path)
        let tasks = (0..<300).map { record(createdAt: Int64($0)) }
        let writes = Task {
            await withThrowingTaskGroup(of: Void.self) { group in
                for task in tasks { group.addTask { try await store.insert(task) } }
                var committed = 0
                while let result = await group.nextResult() {
                    if case .success = result { committed += 1 }
                }
                return committed
            }
        }
        try await Task.sleep(for: .milliseconds(5))
        try await store.close()
        let committed = await writes.value
        let reopened = try SQLiteTaskStore(path: path)
        // Every write that returned normally is in the file; the others were refused with `.closed`.
        #expect(try await reopened.counts()[.completed, default: 0] == committed)
        try await reopened.close()
    }
}
