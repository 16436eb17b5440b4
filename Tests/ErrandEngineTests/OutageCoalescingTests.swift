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
        let timerClock = ManualTimerClock()
        let engine = TaskEngine(store: store, runner: runner, timerClock: timerClock)
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
        for id in ids { #expect(try await store.task(id)?.progress == nil) }

        // Once the store is back, the engine's own retry (a second after each failed write; every report has
        // returned, so every failed write has set its retry) stores and publishes the latest progress of each.
        store.failing.store(false, ordering: .relaxed)
        try await timerClock.sleeping(dueWithin: .seconds(1))
        timerClock.advance(by: .seconds(1))
        for id in ids {
            try await log.wait(for: id) { $0.task.progress?.current == 200 }
            #expect(try await store.task(id)?.progress?.current == 200)
        }
        runner.gate.open()
        for id in ids { #expect(try await terminal(engine, id).status == .completed) }
        await engine.shutdown()
    }
}
