import ErrandEngine
import ErrandProtocol
import Logging

/// In-process benchmarks of `TaskEngine` with `MemoryTaskStore` and a no-op runner.
enum EngineBenchmarks {
    static let owner = TaskOwner(session: "bench-session")
    static let quietLogger = Logger(label: "errand-bench", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The default configuration, except that one owner may have any number of tasks active: a sequential
    /// burst of 100,000 submits may briefly outrun the runner, and the quota is not what is measured.
    static var configuration: TaskEngineConfiguration {
        var configuration = TaskEngineConfiguration()
        configuration.maxActiveTasksPerOwner = 10_000_000
        return configuration
    }

    static func makeEngine(_ pickups: PickupLog, replayWindow: Int? = nil) async throws -> TaskEngine {
        var configuration = configuration
        if let replayWindow { configuration.replayWindow = replayWindow }
        let engine = TaskEngine(
            store: MemoryTaskStore(), runner: NoOpRunner(pickups: pickups), configuration: configuration,
            logger: quietLogger)
        try await engine.start()
        return engine
    }

    static func submission(stamp: Int64) -> TaskSubmission {
        TaskSubmission(kind: .toolCall, target: "sleep", arguments: ["seconds": 0, "t0": .int(stamp)], owner: owner)
    }

    /// Waits until the engine counts `count` completed tasks (polling statistics every millisecond, ≤ 120 s).
    static func waitForCompleted(_ engine: TaskEngine, count: Int) async throws {
        let deadline = monotonicNanoseconds() + 120_000_000_000
        while await engine.statistics().byStatus[.completed, default: 0] < count {
            guard monotonicNanoseconds() < deadline else { throw BenchError("tasks did not complete in 120 s") }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    struct Sequential {
        var submit: LatencySummary
        var pickup: LatencySummary
        var rssBeforeKiB: Int
        var rssAfterKiB: Int
        var heapBeforeBytes: Int
        var heapAfterBytes: Int
        var rssTrimmedKiB: Int
        var drainSeconds: Double
        /// The last task as the engine keeps it once completed.
        var sample: TaskRecord
    }

    /// `count` sequential submits (latency of each `submit` call) on a fresh engine; then waits until all are
    /// completed and reads RSS with every task retained (default ttl 1 h).
    static func sequential(count: Int, replayWindow: Int? = nil) async throws -> Sequential {
        let pickups = PickupLog(capacity: count)
        let engine = try await makeEngine(pickups, replayWindow: replayWindow)
        let before = residentKiB()
        let heapBefore = heapInUseBytes()
        var samples: [Int64] = []
        samples.reserveCapacity(count)
        var last: TaskID?
        for _ in 0..<count {
            let start = monotonicNanoseconds()
            last = try await engine.submit(submission(stamp: start)).id
            samples.append(monotonicNanoseconds() - start)
        }
        let drainStart = monotonicNanoseconds()
        try await waitForCompleted(engine, count: count)
        let drain = Double(monotonicNanoseconds() - drainStart) / 1e9
        let after = residentKiB()
        let heapAfter = heapInUseBytes()
        trimHeap()
        let trimmed = residentKiB()
        guard let last else { throw BenchError("--tasks must be at least 1") }
        let sample = try await engine.task(last, for: owner)
        let result = Sequential(
            submit: LatencySummary(samples), pickup: LatencySummary(pickups.drain()), rssBeforeKiB: before,
            rssAfterKiB: after, heapBeforeBytes: heapBefore, heapAfterBytes: heapAfter, rssTrimmedKiB: trimmed,
            drainSeconds: drain, sample: sample)
        await engine.shutdown()
        return result
    }

    /// Live heap bytes per task that a bare `MemoryTaskStore` needs for `count` copies of `sample` (fresh ids).
    static func storeOnly(count: Int, sample: TaskRecord) async throws -> Double {
        let store = MemoryTaskStore()
        trimHeap()
        let before = heapInUseBytes()
        for _ in 0..<count {
            var record = sample
            record.id = TaskID.random()
            try await store.insert(record)
        }
        let after = heapInUseBytes()
        withExtendedLifetime(store) {}
        return Double(after - before) / Double(count)
    }

    struct OneAtATime {
        var pickup: LatencySummary
        var completed: LatencySummary
    }

    /// `count` tasks one at a time on an idle engine: submit, then `waitForTerminal`.
    static func oneAtATime(count: Int) async throws -> OneAtATime {
        let pickups = PickupLog(capacity: count)
        let engine = try await makeEngine(pickups)
        var samples: [Int64] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let start = monotonicNanoseconds()
            let task = try await engine.submit(submission(stamp: start))
            _ = try await engine.waitForTerminal(task.id, for: owner)
            samples.append(monotonicNanoseconds() - start)
        }
        let result = OneAtATime(pickup: LatencySummary(pickups.drain()), completed: LatencySummary(samples))
        await engine.shutdown()
        return result
    }

    struct Throughput {
        var submitters: Int
        var completed: Int
        var seconds: Double
        var cycle: LatencySummary
        var tasksPerSecond: Double { Double(completed) / seconds }
    }

    /// `submitters` concurrent loops of submit + `waitForTerminal` for `seconds`.
    static func throughput(submitters: Int, seconds: Double) async throws -> Throughput {
        let engine = try await makeEngine(PickupLog(capacity: 0))
        let run = try await cycles(on: engine, submitters: submitters, seconds: seconds)
        await engine.shutdown()
        return Throughput(
            submitters: submitters, completed: run.cycles.count, seconds: run.elapsed,
            cycle: LatencySummary(run.cycles))
    }

    /// `submitters` concurrent loops of submit + `waitForTerminal` on `service` for `seconds`: the
    /// submit→completed time of every task, and the seconds the loops took.
    static func cycles(on service: any TaskService, submitters: Int, seconds: Double) async throws -> (
        cycles: [Int64], elapsed: Double
    ) {
        let start = monotonicNanoseconds()
        let deadline = start + Int64(seconds * 1e9)
        let cycles = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for _ in 0..<submitters {
                group.addTask {
                    var samples: [Int64] = []
                    while monotonicNanoseconds() < deadline {
                        let begin = monotonicNanoseconds()
                        let task = try await service.submit(submission(stamp: begin))
                        let done = try await service.waitForTerminal(task.id, for: owner)
                        guard done.status == .completed else { throw BenchError("task ended \(done.status)") }
                        samples.append(monotonicNanoseconds() - begin)
                    }
                    return samples
                }
            }
            var all: [Int64] = []
            for try await samples in group { all += samples }
            return all
        }
        return (cycles, Double(monotonicNanoseconds() - start) / 1e9)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }

}
