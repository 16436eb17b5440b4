import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

@testable import ErrandEngine

/// Reports progress `reports` times, counting each report, then waits for the gate.
final class ChattyRunner: TaskRunner {
    let reports: Int
    let reported = Counter()
    let gate = Gate()
    init(reports: Int) { self.reports = reports }
    func policy(for task: TaskRecord) -> TaskPolicy { .default }
    func run(_ task: TaskRecord, context: TaskContext) async -> TaskRunResult {
        for step in 1...reports {
            await context.reportProgress(TaskProgress(current: Double(step), total: Double(reports), message: nil))
            reported.increment()
        }
        await gate.wait()
        return TaskRunResult(outcome: .result(["ok": true]), status: .completed)
    }
}

/// While the store is down, a task's progress writes are coalesced (the latest wins) instead of queueing a
/// snapshot per report, so the writes waiting for the store stay bounded by the tasks, not by the reports.
@Suite struct OutageCoalescingTests {
    @Test(.timeLimit(.minutes(1))) func pendingWritesStayBoundedByTheTasksDuringAnOutage() async throws {
        let store = FlakyStore()
        let runner = ChattyRunner(reports: 200)
        let engine = TaskEngine(store: store, runner: runner)
        try await engine.start()
        let log = EventLog(engine.events)
        defer { log.subscription.cancel() }
        store.failing.store(true, ordering: .relaxed)  // inserts still work: the tasks start, then every update fails
        let tasks = 8
        var ids: [TaskID] = []
        for _ in 0..<tasks { ids.append(try await engine.submit(submission("chatty")).id) }
        await runner.reported.wait(for: tasks * 200)
        let pending = await engine.pendingWriteCount
        #expect(pending <= tasks, "\(pending) writes wait for the store")

        // Once the store is back the latest progress of each is stored and published, then the tasks end.
        store.failing.store(false, ordering: .relaxed)
        for id in ids {  // the engine's own retry, every second
            #expect(try await Self.within(.seconds(20)) { try await store.task(id)?.progress?.current == 200 })
        }
        #expect(ids.allSatisfy { id in log.all.contains { $0.task.id == id && $0.task.progress?.current == 200 } })
        runner.gate.open()
        for id in ids { #expect(try await terminal(engine, id).status == .completed) }
        await engine.shutdown()
    }

    /// Polls `condition` every 5 ms until it holds or `timeout` passes.
    static func within(_ timeout: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return try await condition()
    }
}
