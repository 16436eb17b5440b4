import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

@testable import ErrandEngine

/// Fair scheduling: priority first, then round-robin across owners, and per-owner running and queued limits.
@Suite struct FairnessTests {
    static let alice = TaskOwner(principal: "alice")
    static let bob = TaskOwner(principal: "bob")

    @Test func oneOwnersThousandQueuedTasksDoNotStarveAnotherOwnersOne() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner) { $0.maxConcurrentTasks = 1 }
        var ids: [TaskID] = []
        for index in 0..<1000 {
            ids.append(try await engine.submit(submission("gate", owner: Self.alice, label: "a\(index)")).id)
        }
        let bobs = try await engine.submit(submission("gate", owner: Self.bob, label: "b"))
        #expect(bobs.status == .queued)
        #expect(bobs.statusMessage == "queued: 1 task ahead")
        runner.gate.open()
        _ = try await terminal(engine, bobs.id, owner: Self.bob)
        let order = runner.startOrder.withLock { $0 }
        let position = try #require(order.firstIndex(of: "b"))
        #expect(position <= 2, "bob's task started in slot \(position): \(order.prefix(5))")
        #expect(Array(order.prefix(2)) == ["a0", "a1"])
        _ = try await terminal(engine, ids.last!, owner: Self.alice)
        #expect(await engine.statistics().queued == 0)
    }

    @Test(.timeLimit(.minutes(1))) func priorityStillComesBeforeFairness() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner) { $0.maxConcurrentTasks = 1 }
        _ = try await engine.submit(submission("gate", owner: Self.alice, label: "running"))
        _ = try await engine.submit(submission("gate", owner: Self.bob, label: "b-low"))
        _ = try await engine.submit(submission("gate", owner: Self.alice, priority: 3, label: "a-high1"))
        let last = try await engine.submit(submission("gate", owner: Self.alice, priority: 3, label: "a-high2"))
        runner.gate.open()
        _ = try await terminal(engine, last.id, owner: Self.alice)
        await runner.started.wait(for: 4)  // b-low started too: the order is complete
        #expect(runner.startOrder.withLock { $0 } == ["running", "a-high1", "a-high2", "b-low"])
    }

    @Test func anOwnerAtItsConcurrentLimitWaitsWhileOthersRun() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner) { $0.maxConcurrentTasks = 4 }
        let limits = OwnerLimits(concurrentTasks: 1, queuedTasks: 10)
        var first = submission("gate", owner: Self.alice, label: "a1")
        first.limits = limits
        var second = submission("gate", owner: Self.alice, label: "a2")
        second.limits = limits
        #expect(try await engine.submit(first).status == .working)
        let waiting = try await engine.submit(second)
        #expect(waiting.status == .queued)
        let bobs = try await engine.submit(submission("gate", owner: Self.bob, label: "b"))
        #expect(bobs.status == .working)
        let stats = await engine.statistics()
        #expect(stats.running == 2 && stats.queued == 1)
        runner.gate.open()
        let done = try await terminal(engine, waiting.id, owner: Self.alice)
        #expect(done.status == .completed)
    }

    @Test func queuedLimitRefusesWithAMessageNamingIt() async throws {
        let engine = makeEngine { $0.maxConcurrentTasks = 1 }
        let limits = OwnerLimits(queuedTasks: 1)
        for _ in 0..<2 {
            var next = submission("gate", owner: Self.alice)
            next.limits = limits
            _ = try await engine.submit(next)
        }
        var third = submission("gate", owner: Self.alice)
        third.limits = limits
        let error = await #expect(throws: TaskEngineError.self) { try await engine.submit(third) }
        guard case .quotaExceeded(let retryAfter) = error?.code else {
            Issue.record("expected quotaExceeded, got \(String(describing: error))")
            return
        }
        #expect(retryAfter >= 1)
        #expect(error?.message.contains("queuedTasks") == true)
        // Bob's queue is his own.
        #expect(try await engine.submit(submission("gate", owner: Self.bob)).status == .queued)
    }

    @Test func concurrentLimitWithoutQueueRefusesWithAMessageNamingIt() async throws {
        let engine = makeEngine()
        let limits = OwnerLimits(concurrentTasks: 1, queuedTasks: 0)
        var first = submission("gate", owner: Self.alice)
        first.limits = limits
        #expect(try await engine.submit(first).status == .working)
        let error = await #expect(throws: TaskEngineError.self) { try await engine.submit(first) }
        #expect(error?.message.contains("concurrentTasks") == true)
    }

    @Test func cancelledQueuedTasksLeaveTheRotation() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner) { $0.maxConcurrentTasks = 1 }
        let running = try await engine.submit(submission("gate", owner: Self.alice, label: "running"))
        let doomed = try await engine.submit(submission("gate", owner: Self.alice, label: "doomed"))
        let kept = try await engine.submit(submission("gate", owner: Self.bob, label: "kept"))
        _ = try await engine.cancel(doomed.id, for: Self.alice)
        #expect(await engine.statistics().queued == 1)
        runner.gate.open()
        _ = try await terminal(engine, kept.id, owner: Self.bob)
        _ = try await terminal(engine, running.id, owner: Self.alice)
        #expect(runner.startOrder.withLock { $0 } == ["running", "kept"])
    }

    // MARK: the queue alone

    static func drain(_ queue: inout TaskRunQueue) -> [String] {
        var order: [String] = []
        while let entry = queue.popFirst(isLive: { _ in true }) { order.append(entry.id.rawValue) }
        return order
    }

    @Test func queueRotatesAcrossOwnersWithinAPriority() {
        var queue = TaskRunQueue()
        for index in 0..<3 { queue.push(TaskID("a\(index)"), ticket: 1, priority: 0, owner: "a") }
        queue.push(TaskID("b0"), ticket: 1, priority: 0, owner: "b")
        queue.push(TaskID("c0"), ticket: 1, priority: 0, owner: "c")
        queue.push(TaskID("h0"), ticket: 1, priority: 1, owner: "a")
        #expect(queue.count == 6 && queue.count(of: "a") == 4)
        #expect(Self.drain(&queue) == ["h0", "a0", "b0", "c0", "a1", "a2"])
        #expect(queue.isEmpty && queue.runnableCount == 0)
    }

    @Test func blockedOwnersAreSkippedUntilUnblocked() {
        var queue = TaskRunQueue()
        queue.push(TaskID("a0"), ticket: 1, priority: 0, owner: "a")
        queue.push(TaskID("a1"), ticket: 1, priority: 0, owner: "a")
        queue.push(TaskID("b0"), ticket: 1, priority: 0, owner: "b")
        queue.block("a")
        #expect(queue.runnableCount == 1)
        #expect(queue.popFirst(isLive: { _ in true })?.id == TaskID("b0"))
        #expect(queue.popFirst(isLive: { _ in true }) == nil)
        #expect(queue.count == 2 && queue.runnableCount == 0)
        queue.unblock("a")
        #expect(queue.runnableCount == 2)
        #expect(Self.drain(&queue) == ["a0", "a1"])
    }

    @Test func removedEntriesAreSkippedAndCounted() {
        var queue = TaskRunQueue()
        queue.push(TaskID("a0"), ticket: 1, priority: 0, owner: "a")
        queue.push(TaskID("a1"), ticket: 2, priority: 0, owner: "a")
        queue.push(TaskID("b0"), ticket: 3, priority: 0, owner: "b")
        queue.remove(priority: 0, owner: "a")  // a0 left the queue
        #expect(queue.count == 2 && queue.count(of: "a") == 1)
        let order = [queue.popFirst(isLive: { $0.ticket != 1 }), queue.popFirst(isLive: { $0.ticket != 1 })]
        #expect(order.map { $0?.id.rawValue } == ["a1", "b0"])
        #expect(queue.isEmpty)
        // A drained lane that gets a new entry is not listed twice.
        queue.push(TaskID("b1"), ticket: 4, priority: 0, owner: "b")
        queue.push(TaskID("c0"), ticket: 5, priority: 0, owner: "c")
        queue.remove(priority: 0, owner: "b")
        queue.push(TaskID("b2"), ticket: 6, priority: 0, owner: "b")
        var order2: [String] = []
        while let entry = queue.popFirst(isLive: { $0.ticket != 4 }) { order2.append(entry.id.rawValue) }
        #expect(order2 == ["b2", "c0"])
        #expect(queue.isEmpty && queue.runnableCount == 0)
    }
}
