import ErrandEngine
import ErrandProtocol
import Synchronization
import Testing

/// A node for cluster tests. Timers are slow (lease 60 s, poll 60 s), so tests drive claims by signals and lease
/// handling by explicit calls, with the wall clock moved by hand.
func makeNode(
    _ name: String, store: any ClusterStore, runner: any TaskRunner = ScriptedRunner(), slots: Int = 4,
    clock: any EngineClock = ManualClock(), timerClock: any Clock<Duration> = ContinuousClock(),
    configure: (inout ClusterEngineConfiguration) -> Void = { _ in }
) -> ClusterEngine {
    var configuration = ClusterEngineConfiguration()
    configuration.engine.maxConcurrentTasks = slots
    configuration.leaseDuration = .seconds(60)
    configuration.pollInterval = .seconds(60)
    configure(&configuration)
    return ClusterEngine(
        store: store, runner: runner, node: name, configuration: configuration, clock: clock, timerClock: timerClock)
}

/// Waits (briefly) for a task to end, on any node.
func ended(_ engine: ClusterEngine, _ id: TaskID, owner: TaskOwner = .anonymous) async throws -> TaskRecord {
    let record = try await engine.waitForTerminal(id, for: owner, timeout: .seconds(10))
    #expect(record.status.isTerminal, "task \(id) did not end in time: \(record.status)")
    return record
}

/// Counts how often each task was run.
final class CountingRunner: TaskRunner {
    let runs = Mutex<[TaskID: Int]>([:])
    func policy(for task: TaskRecord) -> TaskPolicy { .default }
    func run(_ task: TaskRecord, context: TaskContext) async -> TaskRunResult {
        runs.withLock { $0[task.id, default: 0] += 1 }
        await Task.yield()
        return TaskRunResult(outcome: .result(["ok": true]), status: .completed)
    }
}

/// Every signal a node received until the store closed.
func collect(_ stream: AsyncStream<ClusterSignal>) async -> [ClusterSignal] {
    var all: [ClusterSignal] = []
    for await signal in stream { all.append(signal) }
    return all
}
