import ErrandEngine
import ErrandProtocol
import Synchronization
import Testing

@Suite struct MemoryTaskStoreTests {
    static func record(
        _ id: TaskID = TaskID.random(), createdAt: Int64 = 1000, status: TaskStatus = .completed,
        owner: TaskOwner = TaskOwner(session: "s"), ttl: Int64? = 10_000
    ) -> TaskRecord {
        TaskRecord(
            id: id, owner: owner, kind: .toolCall, target: "t", arguments: [:], status: status, createdAt: createdAt,
            lastUpdatedAt: createdAt, ttlMs: ttl, pollIntervalMs: 500)
    }

    @Test func everyFieldRoundTripsExactly() async throws {
        let rich = TaskRecord(
            id: TaskID.random(), owner: TaskOwner(principal: "alice", team: "red", session: "sé"),
            kind: .resourceRead, target: "file:///x",
            arguments: ["n": .int(-3), "d": .double(3), "a": [nil, true, "ü😀"]],
            status: .inputRequired, statusMessage: "waiting", createdAt: -5, lastUpdatedAt: 1_772_442_900_120,
            ttlMs: nil, pollIntervalMs: 250, progress: TaskProgress(current: 0.5, total: nil, message: "half"),
            outcome: .error(JSONRPCError(code: -32602, message: "bad", data: ["x": [1.25]])), attempt: 2,
            priority: -7,
            history: [
                TaskHistoryEntry(at: 1, status: .working, message: nil, attempt: 1),
                TaskHistoryEntry(at: 2, status: .inputRequired, message: "why", attempt: 2),
            ], requestMeta: ["progressToken": "p-1"])
        let odd = Self.record(TaskID("not-a-uuid"), status: .completed)
        var result = Self.record(status: .completed)
        result.outcome = .result(["content": [["type": "text", "text": "done"]], "isError": false])
        let store = MemoryTaskStore()
        for task in [rich, odd, result] { try await store.insert(task) }
        #expect(try await store.task(rich.id) == rich)
        #expect(try await store.task(odd.id) == odd)
        #expect(try await store.task(result.id) == result)
        await #expect(throws: MemoryTaskStoreError.self) { try await store.insert(rich) }
        #expect(try await store.task(TaskID("missing")) == nil)
    }

    @Test func listOrdersNewestFirstAndBreaksTiesById() async throws {
        let store = MemoryTaskStore()
        let ids = (0..<6).map { _ in TaskID.random() }
        // Inserted out of creation order, with ties.
        for (index, id) in ids.enumerated().reversed() {
            try await store.insert(Self.record(id, createdAt: Int64(1000 + index / 2)))
        }
        try await store.insert(Self.record(TaskID("zzz"), createdAt: 1001))
        let all = try await store.list(TaskStoreQuery(requester: .anonymous, limit: 100))
        #expect(all.count == 7)
        for (newer, older) in zip(all, all.dropFirst()) {
            #expect(TaskListPosition(newer).precedes(TaskListPosition(older)))
        }
        let after = try await store.list(
            TaskStoreQuery(requester: .anonymous, after: TaskListPosition(all[2]), limit: 2))
        #expect(after.map(\.id) == [all[3].id, all[4].id])
    }

    @Test func deleteExpiredUnfinishedAndCounts() async throws {
        let store = MemoryTaskStore()
        let old = Self.record(createdAt: 0, ttl: 100)
        let fresh = Self.record(createdAt: 0, ttl: 10_000)
        let running = Self.record(createdAt: 0, status: .working, ttl: 100)
        let forever = Self.record(createdAt: 0, ttl: nil)
        for task in [old, fresh, running, forever] { try await store.insert(task) }
        #expect(try await store.expired(nowMs: 100, limit: 10).map(\.id) == [old.id])
        #expect(try await store.expired(nowMs: 99, limit: 10).isEmpty)
        #expect(try await store.unfinished().map(\.id) == [running.id])
        #expect(try await store.counts() == [.completed: 3, .working: 1])
        var done = running
        done.status = .failed
        try await store.update(done)
        #expect(try await store.counts() == [.completed: 3, .failed: 1])
        try await store.delete([old.id, TaskID("unknown"), fresh.id])
        #expect(try await store.counts() == [.completed: 1, .failed: 1])
        #expect(try await store.list(TaskStoreQuery(requester: .anonymous, limit: 10)).count == 2)
        try await store.update(old)  // deleted: nothing happens
        #expect(try await store.task(old.id) == nil)
    }
}

extension MemoryTaskStoreTests {
    /// Random inserts, updates and deletes (single and in bulk) against a plain dictionary as the model.
    @Test func randomOperationsMatchAModel() async throws {
        var generator = SplitMix(seed: 42)
        let store = MemoryTaskStore()
        var model: [TaskID: TaskRecord] = [:]
        for step in 0..<3000 {
            let roll = Int(generator.next() % 10)
            if roll < 6 || model.isEmpty {
                let id = step % 7 == 0 ? TaskID("text-\(step)") : TaskID.random()
                let task = Self.record(id, createdAt: Int64(generator.next() % 50))
                try await store.insert(task)
                model[id] = task
            } else if roll < 8 {
                var task = model.values.randomElement(using: &generator)!
                task.createdAt = Int64(generator.next() % 50)
                task.status = [.completed, .failed, .working].randomElement(using: &generator)!
                try await store.update(task)
                model[task.id] = task
            } else {
                let count = roll == 8 ? 1 : min(model.count, 20)
                let doomed = Array(model.keys.shuffled(using: &generator).prefix(count))
                try await store.delete(doomed)
                for id in doomed { model[id] = nil }
            }
        }
        let expected = model.values.sorted { TaskListPosition($0).precedes(TaskListPosition($1)) }
        let listed = try await store.list(TaskStoreQuery(requester: .anonymous, limit: 100_000))
        #expect(listed == expected)
        for task in model.values.prefix(200) { #expect(try await store.task(task.id) == task) }
        var counts: [TaskStatus: Int] = [:]
        for task in model.values { counts[task.status, default: 0] += 1 }
        #expect(try await store.counts() == counts)
        // Paging through with keyset positions visits the same sequence.
        var paged: [TaskRecord] = []
        var after: TaskListPosition?
        while true {
            let page = try await store.list(TaskStoreQuery(requester: .anonymous, after: after, limit: 97))
            paged += page
            guard page.count == 97, let last = page.last else { break }
            after = TaskListPosition(last)
        }
        #expect(paged == expected)
    }
}

/// A small deterministic generator for reproducible random tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
