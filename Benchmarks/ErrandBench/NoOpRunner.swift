import ErrandEngine
import ErrandProtocol
import Synchronization

/// Records when the engine handed each task to the runner: `now - arguments.t0` (monotonic nanoseconds).
final class PickupLog: Sendable {
    private let samples: Mutex<[Int64]>

    init(capacity: Int) {
        var initial: [Int64] = []
        initial.reserveCapacity(capacity)
        samples = Mutex(initial)
    }

    func record(_ nanoseconds: Int64) { samples.withLock { $0.append(nanoseconds) } }

    /// Every sample so far, and forgets them.
    func drain() -> [Int64] {
        samples.withLock { samples in
            defer { samples = [] }; return samples
        }
    }
}

/// A runner whose work takes no time: it notes the pickup latency and completes with a fixed tool result.
struct NoOpRunner: TaskRunner {
    let pickups: PickupLog
    static let result: JSONValue = ["content": [["type": "text", "text": "slept 0"]], "isError": false]

    func run(_ task: TaskRecord, context: TaskContext) async -> TaskRunResult {
        if let stamp = task.arguments["t0"]?.intValue { pickups.record(monotonicNanoseconds() - stamp) }
        return TaskRunResult(outcome: .result(Self.result), status: .completed)
    }

    func policy(for task: TaskRecord) -> TaskPolicy { .default }
}
