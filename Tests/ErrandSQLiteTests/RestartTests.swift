import ErrandEngine
import ErrandProtocol
import ErrandSQLite
import Synchronization
import Testing

/// A runner scripted by target. With `holding`, `hang`, `progress` and `input` never finish on their own (the
/// server "crashes" under them); without it every target finishes at once.
/// - `instant`: completes with `{"label": label}`; `fail`: fails with "boom".
/// - `hang` (1 attempt), `retry` (2 attempts): run until cancelled.
/// - `progress`: reports progress, then runs until cancelled; `input`: asks for input, then waits.
final class RestartRunner: TaskRunner {
    let holding: Bool
    /// Attempts started, per task label.
    let runs = Mutex<[String: Int]>([:])
    /// Attempts running right now, per task label, and the most ever seen for one label at once.
    let concurrent = Mutex<(now: [String: Int], most: Int)>(([:], 0))

    init(holding: Bool) { self.holding = holding }

    func policy(for task: TaskRecord) -> TaskPolicy {
        TaskPolicy(maxAttempts: task.target == "retry" ? 2 : 1)
    }

    func run(_ task: TaskRecord, context: TaskContext) async -> TaskRunResult {
        let label = task.arguments["label"]?.stringValue ?? "?"
        runs.withLock { $0[label, default: 0] += 1 }
        concurrent.withLock { state in
            state.now[label, default: 0] += 1
            state.most = max(state.most, state.now[label]!)
        }
        defer { concurrent.withLock { $0.now[label, default: 0] -= 1 } }
        let done = TaskRunResult(
            outcome: .result(["label": .string(label), "attempt": .int(Int64(context.attempt))]), status: .completed)
        switch task.target {
        case "instant": return done
        case "fail": return TaskRunResult(outcome: .result(["isError": true]), status: .failed, statusMessage: "boom")
        case "progress":
            await context.reportProgress(TaskProgress(current: 1, total: 2, message: "half way"))
        case "input":
            if holding { _ = try? await context.requestInput(["question": "name?"]) }
        default: break
        }
        guard holding else { return done }
        try? await Task.sleep(for: .seconds(3600))
        return TaskRunResult(outcome: .error(.internalError("cancelled")), status: .failed)
    }
}

@Suite struct RestartTests {
    /// Engine 1 gets tasks into every state, then dies (its store closes: nothing it does later reaches the file).
    /// Engine 2 opens the same file and must give every task the fate the recovery rules promise.
    @Test func everyTaskHasItsPromisedFateAfterARestart() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("errand.sqlite")
        var configuration = TaskEngineConfiguration()
        configuration.maxConcurrentTasks = 5
        let owner = TaskOwner(session: "s")
        func submission(_ target: String, _ label: String) -> TaskSubmission {
            TaskSubmission(kind: .toolCall, target: target, arguments: ["label": .string(label)], owner: owner)
        }

        let store1 = try SQLiteTaskStore(path: path)
        let runner1 = RestartRunner(holding: true)
        let engine1 = TaskEngine(store: store1, runner: runner1, configuration: configuration)
        try await engine1.start()
        var ids: [String: TaskID] = [:]
        for (target, label) in [("instant", "completed"), ("fail", "failed")] {
            ids[label] = try await engine1.submit(submission(target, label)).id
            _ = try await engine1.waitForTerminal(ids[label]!, for: owner, timeout: .seconds(5))
        }
        ids["cancelled"] = try await engine1.submit(submission("hang", "cancelled")).id
        _ = try await engine1.cancel(ids["cancelled"]!, for: owner)
        // Five slots: these five run, the next three queue.
        for (target, label) in [
            ("hang", "running"), ("retry", "running-retry"), ("progress", "progress"), ("input", "input"),
            ("retry", "running-retry-2"),
        ] {
            ids[label] = try await engine1.submit(submission(target, label)).id
        }
        for label in ["queued-1", "queued-2", "queued-retry"] {
            ids[label] = try await engine1.submit(submission(label == "queued-retry" ? "retry" : "hang", label)).id
        }
        let inputID = ids["input"]!
        let progressID = ids["progress"]!
        let settled = try await eventually {
            let input = try await engine1.task(inputID, for: owner)
            let progress = try await engine1.task(progressID, for: owner)
            return input.status == .inputRequired && progress.progress != nil
        }
        #expect(settled)
        let before = await engine1.statistics()
        #expect(before.running == 5 && before.queued == 3)
        var seen: [String: TaskRecord] = [:]
        for (label, id) in ids { seen[label] = try await engine1.task(id, for: owner) }
        #expect(
            seen.mapValues(\.status) == [
                "completed": .completed, "failed": .failed, "cancelled": .cancelled, "running": .working,
                "running-retry": .working, "progress": .working, "input": .inputRequired, "running-retry-2": .working,
                "queued-1": .queued, "queued-2": .queued, "queued-retry": .queued,
            ])
        #expect(seen["input"]?.inputRequest?.request == ["question": "name?"])
        try await store1.close()  // the crash: from here on engine 1 cannot write

        let store2 = try SQLiteTaskStore(path: path)
        // The question survived the crash with its task, for anyone to read until recovery decides its fate.
        #expect(try await store2.task(inputID)?.inputRequest == seen["input"]?.inputRequest)
        let runner2 = RestartRunner(holding: false)
        let engine2 = TaskEngine(store: store2, runner: runner2, configuration: configuration)
        try await engine2.start()
        var after: [String: TaskRecord] = [:]
        for (label, id) in ids {
            after[label] = try await engine2.waitForTerminal(id, for: owner, timeout: .seconds(5))
        }

        // Finished tasks are exactly as they were, results and history included, and never run again.
        for label in ["completed", "failed", "cancelled"] {
            #expect(after[label] == seen[label], "\(label)")
        }
        #expect(after["completed"]?.outcome == .result(["label": "completed", "attempt": 1]))
        #expect(after["cancelled"]?.history.map(\.status) == [.working, .cancelled])

        // Running or waiting for input with no attempt left: failed, saying why.
        for label in ["running", "progress", "input"] {
            let task = try #require(after[label])
            #expect(task.status == .failed, "\(label)")
            #expect(task.statusMessage == "Server restarted while the task was running", "\(label)")
            #expect(task.outcome == .error(.internalError("Server restarted while the task was running")))
            #expect(task.attempt == 1)
        }
        #expect(after["progress"]?.progress == TaskProgress(current: 1, total: 2, message: "half way"))
        #expect(after["input"]?.inputRequest == nil)  // failed: nobody can answer it any more

        // Running with an attempt left: queued again and re-run as attempt 2.
        for label in ["running-retry", "running-retry-2"] {
            let task = try #require(after[label])
            #expect(task.status == .completed && task.attempt == 2, "\(label)")
            #expect(task.outcome == .result(["label": .string(label), "attempt": 2]))
            #expect(task.history.map(\.status) == [.working, .queued, .working, .completed])
            #expect(task.history[1].message?.contains("server restarted") == true)
        }

        // Queued: run after the restart as their first attempt.
        for label in ["queued-1", "queued-2", "queued-retry"] {
            let task = try #require(after[label])
            #expect(task.status == .completed && task.attempt == 1, "\(label)")
            #expect(task.history.first?.status == .queued)
        }

        // Engine 2 ran exactly the tasks with work left, once each, never two attempts of one task at once.
        let reran = runner2.runs.withLock { $0 }
        #expect(reran == ["running-retry": 1, "running-retry-2": 1, "queued-1": 1, "queued-2": 1, "queued-retry": 1])
        #expect(runner2.concurrent.withLock { $0.most } == 1)
        let statistics = await engine2.statistics()
        #expect(statistics.byStatus == [.completed: 6, .failed: 4, .cancelled: 1], "\(statistics)")
        await engine2.shutdown()
        try await store2.close()

        // And a third start finds nothing left to do.
        let store3 = try SQLiteTaskStore(path: path)
        #expect(try await store3.unfinished().isEmpty)
        #expect(try await store3.counts() == [.completed: 6, .failed: 4, .cancelled: 1])
        try await store3.close()
    }
}
