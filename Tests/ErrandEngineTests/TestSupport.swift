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
    private let state = Mutex<(count: Int, waiters: [(Int, CheckedContinuation<Void, Never>)])>((0, []))

    var value: Int { state.withLock { $0.count } }

    func increment() {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.count += 1
            let count = state.count
            let ready = state.waiters.filter { $0.0 <= count }.map(\.1)
            state.waiters.removeAll { $0.0 <= count }
            return ready
        }
        for waiter in ready { waiter.resume() }
    }

    /// Waits until the count reaches `target`.
    func wait(for target: Int) async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.count >= target { return true }
                state.waiters.append((target, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

/// A runner whose behaviour is scripted by the task's target name:
/// - `instant`: completes at once with `{"ok": true}`.
/// - `fail`: fails at once with a tool error result.
/// - `gate`: waits for ``gate`` to open, then completes.
/// - `sleep`: sleeps 60 s (honouring cancellation); counts observed cancellations in ``cancellations``.
/// - `stubborn`: ignores cancellation until ``gate`` opens, then completes (a late result).
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
            await gate.wait()
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

/// Collects every event the hub publishes.
final class EventLog: Sendable {
    private final class Storage: Sendable {
        let events = Mutex<[TaskEvent]>([])
    }

    private let storage = Storage()
    let subscription: EventSubscription

    init(_ hub: EventHub) {
        let storage = self.storage
        subscription = hub.subscribe { event in storage.events.withLock { $0.append(event) } }.subscription
    }

    var all: [TaskEvent] { storage.events.withLock { $0 } }

    func changes(for id: TaskID) -> [TaskEvent.Change] { all.filter { $0.task.id == id }.map(\.change) }
}

func submission(
    _ target: String, owner: TaskOwner = .anonymous, ttl: Int64? = nil, priority: Int = 0, label: String? = nil
) -> TaskSubmission {
    var arguments: JSONValue = [:]
    if let label { arguments = ["label": .string(label)] }
    return TaskSubmission(
        kind: .toolCall, target: target, arguments: arguments, owner: owner, requestedTTLMs: ttl, priority: priority)
}

func makeEngine(
    runner: ScriptedRunner = ScriptedRunner(), store: any TaskStore = MemoryTaskStore(),
    clock: ManualClock = ManualClock(), configure: (inout TaskEngineConfiguration) -> Void = { _ in }
) -> TaskEngine {
    var configuration = TaskEngineConfiguration()
    configure(&configuration)
    return TaskEngine(store: store, runner: runner, configuration: configuration, clock: clock)
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
