import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

/// A wall clock the test moves by hand.
final class ManualClock: EngineClock {
    private let now: Mutex<Int64>
    init(_ start: Int64 = 1_700_000_000_000) { now = Mutex(start) }
    func nowMs() -> Int64 { now.withLock { $0 } }
    func advance(byMs delta: Int64) { now.withLock { $0 += delta } }
}

/// Counts occurrences and lets a test wait for a number of them.
final class Counter: Sendable {
    private struct State {
        var count = 0
        var waiters: [UInt64: (target: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    var value: Int { state.withLock { $0.count } }

    func increment() {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.count += 1
            let count = state.count
            let ready = state.waiters.filter { $0.value.target <= count }
            for id in ready.keys { state.waiters[id] = nil }
            return ready.values.map(\.continuation)
        }
        for waiter in ready { waiter.resume() }
    }

    /// Waits until the count reaches `target`, or the task is cancelled (a test's time limit).
    func wait(for target: Int) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    if state.count >= target || Task.isCancelled { return true }
                    state.waiters[id] = (target, continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }
}

/// A runner whose behaviour is scripted by the task's target name:
/// - `instant`: completes at once with `{"ok": true}`.
/// - `fail`: fails at once with a tool error result.
/// - `gate`: waits for ``gate`` to open, then completes.
/// - `sleep`: sleeps 60 s (honouring cancellation); counts observed cancellations in ``cancellations``.
/// - `stubborn`: ignores cancellation until ``gate`` opens, then completes (a late result); counts the
///   cancellations it ignored in ``cancellations``.
/// - `progress`: reports progress 1/3, 2/3, 3/3, then completes.
/// - `input`: asks for input and completes with the answer.
/// - `flaky`: fails until ``flakyAttempts`` attempts were made, then completes.
final class ScriptedRunner: TaskRunner {
    let gate = Gate()
    let started = Counter()
    let cancellations = Counter()
    let startOrder = Mutex<[String]>([])
    let policies: [String: TaskPolicy]
    let flakyAttempts: Int

    init(policies: [String: TaskPolicy] = [:], flakyAttempts: Int = 3) {
        self.policies = policies
        self.flakyAttempts = flakyAttempts
    }

    func policy(for task: TaskRecord) -> TaskPolicy { policies[task.target] ?? .default }

    func run(_ task: TaskRecord, context: TaskContext) async -> TaskRunResult {
        let label = task.arguments["label"]?.stringValue ?? task.target
        startOrder.withLock { $0.append(label) }
        started.increment()
        switch task.target {
        case "instant":
            return TaskRunResult(outcome: .result(["ok": true]), status: .completed)
        case "fail":
            return TaskRunResult(outcome: .result(["isError": true]), status: .failed, statusMessage: "boom")
        case "gate":
            await gate.wait()
            return TaskRunResult(outcome: .result(["ok": true]), status: .completed)
        case "sleep":
            do {
                try await Task.sleep(for: .seconds(60))
            } catch {
                cancellations.increment()
                return TaskRunResult(outcome: .error(.internalError("cancelled")), status: .failed)
            }
            return TaskRunResult(outcome: .result(["slept": true]), status: .completed)
        case "stubborn":
            await withTaskCancellationHandler {
                await gate.wait()
            } onCancel: { [cancellations] in
                cancellations.increment()
            }
            return TaskRunResult(outcome: .result(["late": true]), status: .completed, statusMessage: "late")
        case "progress":
            for step in 1...3 {
                await context.reportProgress(TaskProgress(current: Double(step), total: 3, message: "step \(step)"))
            }
            return TaskRunResult(outcome: .result(["ok": true]), status: .completed)
        case "input":
            do {
                let answer = try await context.requestInput(["question": "name?"])
                return TaskRunResult(outcome: .result(["answer": answer]), status: .completed)
            } catch {
                cancellations.increment()
                return TaskRunResult(outcome: .error(.internalError("no input")), status: .failed)
            }
        case "input_timeout":
            // Waits 50 ms for an answer, then goes on without one (as ToolContext.requestInput(_:timeout:) does).
            let answer = await withTaskGroup(of: JSONValue?.self) { group in
                group.addTask { try? await context.requestInput(["question": "quick?"]) }
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(50))
                    return nil
                }
                defer { group.cancelAll() }
                return await group.next() ?? nil
            }
            return TaskRunResult(outcome: .result(["answered": .bool(answer != nil)]), status: .completed)
        case "log":
            for n in 1...3 { await context.log(n == 2 ? .warning : .info, "line \(n)") }
            await gate.wait()
            await context.log(.info, "line 4")
            return TaskRunResult(outcome: .result(["ok": true]), status: .completed)
        case "flaky":
            if context.attempt < flakyAttempts {
                return TaskRunResult(
                    outcome: .result(["isError": true]), status: .failed, statusMessage: "flake \(context.attempt)")
            }
            return TaskRunResult(outcome: .result(["attempt": .int(Int64(context.attempt))]), status: .completed)
        default:
            return TaskRunResult(outcome: .error(.internalError("unknown target")), status: .failed)
        }
    }
}

/// Collects every event the hub publishes, and lets a test wait until they show something.
final class EventLog: Sendable {
    private struct Waiter {
        let condition: @Sendable ([TaskEvent]) -> Bool
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var events: [TaskEvent] = []
        var waiters: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 0
    }

    private final class Storage: Sendable {
        let state = Mutex(State())

        func append(_ event: TaskEvent) {
            let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.events.append(event)
                let events = state.events
                let ready = state.waiters.filter { $0.value.condition(events) }
                for id in ready.keys { state.waiters[id] = nil }
                return ready.values.map(\.continuation)
            }
            for waiter in ready { waiter.resume() }
        }
    }

    private let storage = Storage()
    let subscription: EventSubscription

    init(_ hub: EventHub) {
        let storage = self.storage
        subscription = hub.subscribe { event in storage.append(event) }.subscription
    }

    var all: [TaskEvent] { storage.state.withLock { $0.events } }

    func changes(for id: TaskID) -> [TaskEvent.Change] { all.filter { $0.task.id == id }.map(\.change) }

    /// Waits until the events published so far satisfy `condition` (checked now and after each new event).
    /// - Throws: `CancellationError` if the task is cancelled first (a test's time limit), so the test stops there.
    func wait(until condition: @escaping @Sendable ([TaskEvent]) -> Bool) async throws {
        let storage = self.storage
        let id = storage.state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = storage.state.withLock { state in
                    if condition(state.events) || Task.isCancelled { return true }
                    state.waiters[id] = Waiter(condition: condition, continuation: continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            storage.state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
        if !condition(all) { try Task.checkCancellation() }
    }

    /// Waits until an event of task `id` satisfies `condition`.
    func wait(for id: TaskID, _ condition: @escaping @Sendable (TaskEvent) -> Bool) async throws {
        try await wait { events in events.contains { $0.task.id == id && condition($0) } }
    }
}

func submission(
    _ target: String, owner: TaskOwner = .anonymous, ttl: Int64? = nil, priority: Int = 0, label: String? = nil
) -> TaskSubmission {
    var arguments: JSONValue = [:]
    if let label { arguments = ["label": .string(label)] }
    return TaskSubmission(
        kind: .toolCall, target: target, arguments: arguments, owner: owner, requestedTTLMs: ttl, priority: priority)
}

/// An engine with a wall clock moved by hand; its timers run on `timerClock` (pass a ``ManualTimerClock`` to fire
/// timeouts, backoffs and store retries by hand).
func makeEngine(
    runner: ScriptedRunner = ScriptedRunner(), store: any TaskStore = MemoryTaskStore(),
    clock: ManualClock = ManualClock(), timerClock: any Clock<Duration> = ContinuousClock(),
    configure: (inout TaskEngineConfiguration) -> Void = { _ in }
) -> TaskEngine {
    var configuration = TaskEngineConfiguration()
    configure(&configuration)
    return TaskEngine(
        store: store, runner: runner, configuration: configuration, clock: clock, timerClock: timerClock)
}

/// Waits (briefly) for a task to end.
func terminal(_ engine: TaskEngine, _ id: TaskID, owner: TaskOwner = .anonymous) async throws -> TaskRecord {
    let record = try await engine.waitForTerminal(id, for: owner, timeout: .seconds(5))
    #expect(record.status.isTerminal, "task \(id) did not end in time: \(record.status)")
    return record
}

/// Polls `condition` every millisecond for up to two seconds.
func eventually(_ condition: () async throws -> Bool) async rethrows -> Bool {
    for _ in 0..<2000 {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return false
}
