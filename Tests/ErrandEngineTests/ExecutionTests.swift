import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

@Suite struct ExecutionTests {
    @Test func progressUpdatesTheTaskAndPublishesEvents() async throws {
        let engine = makeEngine()
        let seen = EventLog(engine.events)
        let record = try await engine.submit(submission("progress"))
        let done = try await terminal(engine, record.id)
        #expect(done.status == .completed)
        #expect(done.progress == TaskProgress(current: 3, total: 3, message: "step 3"))
        #expect(seen.changes(for: record.id) == [.created, .progress, .progress, .progress, .status])
        let messages = seen.all.filter { $0.change == .progress }.map(\.task.statusMessage)
        #expect(messages == ["step 1", "step 2", "step 3"])
        #expect(seen.all.filter { $0.change == .progress }.allSatisfy { $0.task.status == .working })
        // Progress is not a status change.
        #expect(done.history.map(\.status) == [.working, .completed])
    }

    @Test(.timeLimit(.minutes(1))) func policyTimeoutCancelsTheAttemptAndFailsTheTask() async throws {
        let runner = ScriptedRunner(policies: ["sleep": TaskPolicy(timeout: .milliseconds(50))])
        let timerClock = ManualTimerClock()
        let engine = makeEngine(runner: runner, timerClock: timerClock)
        let record = try await engine.submit(submission("sleep"))
        await runner.started.wait(for: 1)
        try await timerClock.sleeping(dueWithin: .milliseconds(50))  // the timeout is set: the engine sleeps on it
        #expect(timerClock.pendingDelays.first == .milliseconds(50))
        #expect(try await engine.task(record.id, for: .anonymous).status == .working)
        timerClock.advance(by: .milliseconds(50))
        let done = try await terminal(engine, record.id)
        #expect(done.status == .failed)
        #expect(done.statusMessage == "timed out after 0.05 s")
        guard case .error(let error) = done.outcome else {
            Issue.record("expected an error outcome")
            return
        }
        #expect(error.code == JSONRPCError.internalErrorCode)
        await runner.cancellations.wait(for: 1)  // the handler's 60 s sleep observed the cancellation
        #expect(await eventually { await engine.statistics().running == 0 })
    }

    @Test func failedAttemptsAreRetriedWithHistoryPerAttempt() async throws {
        let policy = TaskPolicy(maxAttempts: 3, baseBackoff: .milliseconds(1), maxBackoff: .milliseconds(4))
        let runner = ScriptedRunner(policies: ["flaky": policy], flakyAttempts: 3)
        let engine = makeEngine(runner: runner)
        let record = try await engine.submit(submission("flaky"))
        let done = try await terminal(engine, record.id)
        #expect(done.status == .completed)
        #expect(done.attempt == 3)
        #expect(done.outcome == .result(["attempt": 3]))
        #expect(
            done.history.map(\.status) == [.working, .queued, .working, .queued, .working, .completed])
        #expect(done.history.map(\.attempt) == [1, 1, 2, 2, 3, 3])
        #expect(done.history[1].message?.hasPrefix("attempt 1 of 3 failed: flake 1; retrying in") == true)
        #expect(runner.started.value == 3)
    }

    @Test func retriesStopWhenAttemptsRunOut() async throws {
        let policy = TaskPolicy(maxAttempts: 2, baseBackoff: .milliseconds(1))
        let runner = ScriptedRunner(policies: ["flaky": policy], flakyAttempts: 5)
        let engine = makeEngine(runner: runner)
        let record = try await engine.submit(submission("flaky"))
        let done = try await terminal(engine, record.id)
        #expect(done.status == .failed)
        #expect(done.statusMessage == "flake 2")
        #expect(done.attempt == 2)
        #expect(done.history.map(\.status) == [.working, .queued, .working, .failed])
    }

    @Test func withoutRetryPolicyAFailureIsFinal() async throws {
        let engine = makeEngine()
        let record = try await engine.submit(submission("fail"))
        let done = try await terminal(engine, record.id)
        #expect(done.status == .failed && done.statusMessage == "boom" && done.attempt == 1)
        #expect(done.outcome == .result(["isError": true]))
    }

    @Test func backoffGrowsExponentiallyUpToTheMaximum() {
        let policy = TaskPolicy(maxAttempts: 10, baseBackoff: .seconds(1), maxBackoff: .seconds(5))
        let expected: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)]
        for (index, nominal) in expected.enumerated() {
            let delay = policy.backoff(afterAttempt: index + 1)
            #expect(delay <= nominal && delay > nominal * 0.8 - .milliseconds(1), "attempt \(index + 1): \(delay)")
        }
    }

    @Test func inputRequestRoundTrip() async throws {
        let engine = makeEngine()
        let requests = Mutex<[(String, JSONValue)]>([])
        let subscription = engine.events.subscribe { event in
            if case .inputRequested(let requestID, let request) = event.change {
                requests.withLock { $0.append((requestID, request)) }
            }
        }.subscription
        defer { subscription.cancel() }
        let seen = EventLog(engine.events)
        let record = try await engine.submit(submission("input"))
        #expect(await eventually { requests.withLock { !$0.isEmpty } })
        let (requestID, request) = requests.withLock { $0[0] }
        #expect(requestID == "\(record.id)-in-1")
        #expect(request == ["question": "name?"])
        #expect(try await engine.task(record.id, for: .anonymous).status == .inputRequired)

        await #expect(throws: TaskEngineError.self) {
            try await engine.provideInput(taskID: record.id, requestID: "nope", response: "x")
        }
        try await engine.provideInput(taskID: record.id, requestID: requestID, response: "Ada")
        let done = try await terminal(engine, record.id)
        #expect(done.outcome == .result(["answer": "Ada"]))
        #expect(done.history.map(\.status) == [.working, .inputRequired, .working, .completed])
        #expect(
            seen.changes(for: record.id) == [
                .created, .status, .inputRequested(requestID: requestID, request: ["question": "name?"]), .status,
                .status,
            ])
        let error = await #expect(throws: TaskEngineError.self) {
            try await engine.provideInput(taskID: record.id, requestID: requestID, response: "again")
        }
        #expect(error?.code == .alreadyTerminal(.completed))
    }

    @Test func cancellingWhileWaitingForInputThrowsIntoTheHandler() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner)
        let record = try await engine.submit(submission("input"))
        #expect(try await eventually { try await engine.task(record.id, for: .anonymous).status == .inputRequired })
        let cancelled = try await engine.cancel(record.id, for: .anonymous)
        #expect(cancelled.status == .cancelled)
        await runner.cancellations.wait(for: 1)
        #expect(try await engine.task(record.id, for: .anonymous).status == .cancelled)
    }

    /// The runner starts on the submission itself, not on a timer: with the engine's timers frozen (a manual timer
    /// clock nobody advances), every one of 21 submitted tasks still starts. How fast is `ErrandBench`'s business.
    @Test func runnerStartsRightAfterSubmitWithoutPolling() async throws {
        let runner = ScriptedRunner()
        let timers = ManualTimerClock()
        let engine = makeEngine(runner: runner, timerClock: timers)
        for round in 1...21 {
            _ = try await engine.submit(submission("instant"))
            await runner.started.wait(for: round)
        }
        #expect(timers.now.offset == .zero)
    }
}
