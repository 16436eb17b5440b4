import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

/// The engine a parity case runs against: a ``TaskEngine`` over a ``MemoryTaskStore``, or one ``ClusterEngine``
/// node over a ``MemoryClusterStore``. Both get the same limits and a ``ScriptedRunner``.
enum EngineShape: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case single
    case cluster

    var testDescription: String { rawValue }

    /// A started engine of this shape.
    func start(
        runner: ScriptedRunner, configure: (inout TaskEngineConfiguration) -> Void = { _ in }
    ) async throws -> any TaskService {
        let engine: any TaskService
        let clock = TickingClock()
        switch self {
        case .single:
            var configuration = TaskEngineConfiguration()
            configure(&configuration)
            engine = TaskEngine(store: MemoryTaskStore(), runner: runner, configuration: configuration, clock: clock)
        case .cluster:
            engine = makeNode("parity", store: MemoryClusterStore(), runner: runner, clock: clock) {
                configure(&$0.engine)
            }
        }
        try await engine.start()
        return engine
    }
}

/// A wall clock one millisecond later at every reading, so that tasks submitted one after the other have distinct
/// creation times, as they do in practice (a cluster orders one owner's tasks by creation time, then by id).
final class TickingClock: EngineClock {
    private let now = Mutex<Int64>(1_700_000_000_000)
    func nowMs() -> Int64 {
        now.withLock { now in
            now += 1
            return now
        }
    }
}

/// One behaviour suite for both engines (issue 12): scheduling (priority, round-robin across owners), per-owner
/// limits, cancel and waiting must not differ between a single node and a cluster node. Every case waits for the
/// events it checks (a task's end, a runner's start), never for time to pass.
@Suite struct EngineParityTests {
    static let alice = TaskOwner(principal: "alice")
    static let bob = TaskOwner(principal: "bob")

    /// Submits a gated task for `owner` with `label` (and `limits`), returning its record.
    static func gated(
        _ engine: any TaskService, _ owner: TaskOwner, _ label: String, priority: Int = 0, limits: OwnerLimits? = nil
    ) async throws -> TaskRecord {
        var next = submission("gate", owner: owner, priority: priority, label: label)
        next.limits = limits
        return try await engine.submit(next)
    }

    /// Waits for every task in `tasks` to end; returns them as they ended.
    static func allEnded(_ engine: any TaskService, _ tasks: [TaskRecord]) async throws -> [TaskRecord] {
        var ended: [TaskRecord] = []
        for task in tasks {
            let record = try await engine.waitForTerminal(task.id, for: task.owner, timeout: .seconds(10))
            #expect(record.status.isTerminal, "\(task.arguments["label"] ?? "?") did not end: \(record.status)")
            ended.append(record)
        }
        return ended
    }

    @Test(arguments: EngineShape.allCases)
    func equalPriorityTasksTakeTurnsAcrossOwners(_ shape: EngineShape) async throws {
        let runner = ScriptedRunner()
        let engine = try await shape.start(runner: runner) { $0.maxConcurrentTasks = 1 }
        var tasks = [try await Self.gated(engine, Self.alice, "a0")]
        for index in 1...3 { tasks.append(try await Self.gated(engine, Self.alice, "a\(index)")) }
        for index in 1...3 { tasks.append(try await Self.gated(engine, Self.bob, "b\(index)")) }
        #expect(tasks.dropFirst().allSatisfy { $0.status == .queued })
        runner.gate.open()
        _ = try await Self.allEnded(engine, tasks)
        let order = runner.startOrder.withLock { $0 }
        #expect(order.first == "a0")
        #expect(Set(order) == Set(tasks.compactMap { $0.arguments["label"]?.stringValue }))
        // After the running task, the owners alternate: alice's three queued tasks do not all go first.
        let owners = order.dropFirst().map(\.first)
        #expect(zip(owners, owners.dropFirst()).allSatisfy { $0 != $1 }, "start order \(order)")
        await engine.shutdown()
    }

    @Test(arguments: EngineShape.allCases)
    func higherPriorityStartsFirstEvenFromTheOwnerWhoseTurnItIsNot(_ shape: EngineShape) async throws {
        let runner = ScriptedRunner()
        let engine = try await shape.start(runner: runner) { $0.maxConcurrentTasks = 1 }
        let tasks = [
            try await Self.gated(engine, Self.alice, "running"),
            try await Self.gated(engine, Self.bob, "b-low"),
            try await Self.gated(engine, Self.alice, "a-mid", priority: 1),
            try await Self.gated(engine, Self.alice, "a-high1", priority: 3),
            try await Self.gated(engine, Self.alice, "a-high2", priority: 3),
        ]
        runner.gate.open()
        _ = try await Self.allEnded(engine, tasks)
        #expect(runner.startOrder.withLock { $0 } == ["running", "a-high1", "a-high2", "a-mid", "b-low"])
        await engine.shutdown()
    }

    @Test(arguments: EngineShape.allCases)
    func anOwnerAtItsConcurrentLimitWaitsWhileOthersStart(_ shape: EngineShape) async throws {
        let runner = ScriptedRunner()
        let engine = try await shape.start(runner: runner) { $0.maxConcurrentTasks = 4 }
        let limits = OwnerLimits(concurrentTasks: 1)
        let first = try await Self.gated(engine, Self.alice, "a1", limits: limits)
        let second = try await Self.gated(engine, Self.alice, "a2", limits: limits)
        let bobs = try await Self.gated(engine, Self.bob, "b")
        #expect(first.status == .working)
        #expect(second.status == .queued)
        #expect(bobs.status == .working)
        await runner.started.wait(for: 2)
        #expect(try await engine.task(second.id, for: Self.alice).status == .queued)
        runner.gate.open()
        let ended = try await Self.allEnded(engine, [first, second, bobs])
        #expect(ended.allSatisfy { $0.status == .completed })
        let order = runner.startOrder.withLock { $0 }
        #expect(Set(order.prefix(2)) == ["a1", "b"] && order.last == "a2", "start order \(order)")
        await engine.shutdown()
    }

    @Test(arguments: EngineShape.allCases)
    func theDefaultOwnerLimitsApplyToSubmissionsThatBringNone(_ shape: EngineShape) async throws {
        let runner = ScriptedRunner()
        let engine = try await shape.start(runner: runner) {
            $0.maxConcurrentTasks = 4
            $0.defaultOwnerLimits = OwnerLimits(concurrentTasks: 2)
        }
        let tasks = [
            try await Self.gated(engine, Self.alice, "a1"), try await Self.gated(engine, Self.alice, "a2"),
            try await Self.gated(engine, Self.alice, "a3"),
        ]
        #expect(tasks.map(\.status) == [.working, .working, .queued])
        runner.gate.open()
        _ = try await Self.allEnded(engine, tasks)
        await engine.shutdown()
    }

    @Test(arguments: EngineShape.allCases)
    func anOwnersQueueLimitRefusesTheTaskThatWouldWaitBeyondIt(_ shape: EngineShape) async throws {
        let runner = ScriptedRunner()
        let engine = try await shape.start(runner: runner) { $0.maxConcurrentTasks = 1 }
        let limits = OwnerLimits(queuedTasks: 2)
        var tasks: [TaskRecord] = []
        for index in 1...3 { tasks.append(try await Self.gated(engine, Self.alice, "a\(index)", limits: limits)) }
        #expect(tasks.map(\.status) == [.working, .queued, .queued])
        let error = await #expect(throws: TaskEngineError.self) {
            try await Self.gated(engine, Self.alice, "a4", limits: limits)
        }
        guard case .quotaExceeded = error?.code else {
            Issue.record("expected quotaExceeded, got \(String(describing: error))")
            return
        }
        #expect(error?.message.contains("(queuedTasks) is 2") == true, "\(error?.message ?? "")")
        // Another owner is not limited by alice's queue.
        tasks.append(try await Self.gated(engine, Self.bob, "b"))
        runner.gate.open()
        _ = try await Self.allEnded(engine, tasks)
        // Once alice's queue drained, she may queue again.
        var instant = submission("instant", owner: Self.alice)
        instant.limits = limits
        let again = try await engine.submit(instant)
        _ = try await Self.allEnded(engine, [again])
        await engine.shutdown()
    }

    @Test(arguments: EngineShape.allCases)
    func maxActiveTasksPerOwnerRefusesTheOwnerNotOthers(_ shape: EngineShape) async throws {
        let runner = ScriptedRunner()
        let engine = try await shape.start(runner: runner) {
            $0.maxConcurrentTasks = 1
            $0.maxActiveTasksPerOwner = 2
        }
        let tasks = [try await Self.gated(engine, Self.alice, "a1"), try await Self.gated(engine, Self.alice, "a2")]
        let error = await #expect(throws: TaskEngineError.self) { try await Self.gated(engine, Self.alice, "a3") }
        #expect(error?.message.contains("(maxActiveTasksPerOwner) is 2") == true, "\(error?.message ?? "")")
        let bobs = try await Self.gated(engine, Self.bob, "b")
        #expect(bobs.status == .queued)
        runner.gate.open()
        _ = try await Self.allEnded(engine, tasks + [bobs])
        await engine.shutdown()
    }

    @Test(arguments: EngineShape.allCases)
    func cancellingAQueuedTaskEndsItWithoutEverRunningIt(_ shape: EngineShape) async throws {
        let runner = ScriptedRunner()
        let engine = try await shape.start(runner: runner) { $0.maxConcurrentTasks = 1 }
        let running = try await Self.gated(engine, Self.alice, "running")
        let queued = try await Self.gated(engine, Self.alice, "queued")
        let after = try await Self.gated(engine, Self.alice, "after")
        let cancelled = try await engine.cancel(queued.id, for: Self.alice)
        #expect(cancelled.status == .cancelled)
        #expect(try await engine.task(queued.id, for: Self.alice).status == .cancelled)
        runner.gate.open()
        let ended = try await Self.allEnded(engine, [running, after, queued])
        #expect(ended.map(\.status) == [.completed, .completed, .cancelled])
        #expect(runner.startOrder.withLock { $0 } == ["running", "after"])
        await engine.shutdown()
    }

    @Test(arguments: EngineShape.allCases)
    func aWaiterGetsTheResultWhenTheTaskEnds(_ shape: EngineShape) async throws {
        let runner = ScriptedRunner()
        let engine = try await shape.start(runner: runner)
        let task = try await Self.gated(engine, Self.alice, "waited")
        await runner.started.wait(for: 1)
        let waiter = Task { try await engine.waitForTerminal(task.id, for: Self.alice, timeout: .seconds(10)) }
        let timedOut = try await engine.waitForTerminal(task.id, for: Self.alice, timeout: .milliseconds(1))
        #expect(timedOut.status == .working)
        runner.gate.open()
        let done = try await waiter.value
        #expect(done.status == .completed)
        #expect(done.outcome == .result(["ok": true]))
        let instant = try await engine.submit(submission("instant", owner: Self.alice))
        let result = try await engine.waitForTerminal(instant.id, for: Self.alice, timeout: .seconds(10))
        #expect(result.status == .completed && result.outcome == .result(["ok": true]))
        await engine.shutdown()
    }
}
