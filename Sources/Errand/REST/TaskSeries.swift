import ErrandEngine
import Synchronization

/// The recent history the dashboard draws: one sample a second of tasks submitted, completed, failed and cancelled
/// in that second, and of the queue depth and running attempts at its end, in a ring buffer of ``capacity`` samples
/// (an hour); plus, per tool, the run times of the tasks that ended most recently.
///
/// Everything is bounded: ``capacity`` samples, ``runTimesPerTool`` run times for each of at most ``maxTools`` tools
/// (tools beyond that are not timed). Counts come from the engine's event hub, so with a cluster they include
/// what other nodes did; queue depth and running attempts are this node's.
final class TaskSeries: Sendable {
    /// One second.
    struct Sample: Sendable, Hashable {
        /// When the second ended (epoch milliseconds).
        var at: Int64
        var submitted = 0
        var completed = 0
        var failed = 0
        var cancelled = 0
        var queued = 0
        var running = 0
    }

    /// One ended task's run: when it ended and how long its work took.
    struct Run: Sendable, Hashable {
        var endedAt: Int64
        var milliseconds: Int64
    }

    /// Percentiles of one tool's recent run times.
    struct RunTimes: Sendable, Hashable {
        var tool: String
        var count: Int
        var p50Ms: Int64
        var p95Ms: Int64
    }

    private struct State {
        var samples: [Sample] = []
        /// Where the next sample goes once `samples` is full (the oldest one).
        var next = 0
        /// Counts of the second in progress.
        var current = Sample(at: 0)
        var runs: [String: [Run]] = [:]
        var nextRun: [String: Int] = [:]
    }

    /// Samples kept: an hour of seconds.
    let capacity: Int
    /// Run times kept per tool.
    let runTimesPerTool: Int
    /// Tools timed at most.
    let maxTools: Int
    private let state = Mutex(State())

    init(capacity: Int = 3600, runTimesPerTool: Int = 1024, maxTools: Int = 256) {
        self.capacity = max(1, capacity)
        self.runTimesPerTool = max(1, runTimesPerTool)
        self.maxTools = max(0, maxTools)
    }

    /// Counts one event of the engine's hub.
    func record(_ event: TaskEvent) {
        switch event.change {
        case .created:
            state.withLock { $0.current.submitted += 1 }
        case .status where event.task.status.isTerminal:
            let task = event.task
            let started = task.history.first(where: { $0.status == .working })?.at
            state.withLock { state in
                switch task.status {
                case .completed: state.current.completed += 1
                case .failed: state.current.failed += 1
                default: state.current.cancelled += 1
                }
                if let started {
                    addRun(
                        Run(endedAt: task.lastUpdatedAt, milliseconds: task.lastUpdatedAt - started),
                        tool: task.target, to: &state)
                }
            }
        default:
            break
        }
    }

    private func addRun(_ run: Run, tool: String, to state: inout State) {
        if state.runs[tool] == nil, state.runs.count >= maxTools { return }
        var runs = state.runs[tool, default: []]
        if runs.count < runTimesPerTool {
            runs.append(run)
        } else {
            let slot = state.nextRun[tool, default: 0]
            runs[slot] = run
            state.nextRun[tool] = (slot + 1) % runTimesPerTool
        }
        state.runs[tool] = runs
    }

    /// Closes the second in progress at `nowMs` with the gauges read then, and starts the next one.
    func sample(at nowMs: Int64, queued: Int, running: Int) {
        state.withLock { state in
            var sample = state.current
            sample.at = nowMs
            sample.queued = queued
            sample.running = running
            state.current = Sample(at: 0)
            if state.samples.count < capacity {
                state.samples.append(sample)
            } else {
                state.samples[state.next] = sample
                state.next = (state.next + 1) % capacity
            }
        }
    }

    /// The samples of the last `seconds` seconds (at most ``capacity``), oldest first, and when the span they cover
    /// began: the end of the sample before the first one returned (`Int64.min` if none is kept).
    func samples(last seconds: Int) -> (samples: [Sample], sinceMs: Int64) {
        state.withLock { state in
            let ordered = Array(state.samples[state.next...] + state.samples[..<state.next])
            let count = min(max(0, seconds), ordered.count)
            let since = count < ordered.count ? ordered[ordered.count - count - 1].at : .min
            return (Array(ordered.suffix(count)), since)
        }
    }

    /// Per tool, p50 and p95 of the kept run times of tasks that ended at or after `sinceMs`, by tool name.
    func runTimes(since sinceMs: Int64) -> [RunTimes] {
        let runs = state.withLock { $0.runs }
        return runs.compactMap { tool, runs -> RunTimes? in
            let times = runs.filter { $0.endedAt >= sinceMs }.map(\.milliseconds).sorted()
            guard !times.isEmpty else { return nil }
            return RunTimes(
                tool: tool, count: times.count, p50Ms: Self.percentile(0.5, of: times),
                p95Ms: Self.percentile(0.95, of: times))
        }.sorted { $0.tool < $1.tool }
    }

    /// The nearest-rank percentile `p` (0...1) of sorted, non-empty `values`.
    static func percentile(_ p: Double, of values: [Int64]) -> Int64 {
        let rank = Int((p * Double(values.count)).rounded(.up))
        return values[min(max(rank, 1), values.count) - 1]
    }
}

/// Feeds a ``TaskSeries`` from an engine: its events as they come, its gauges once a second.
final class TaskSeriesRecorder: Sendable {
    let series: TaskSeries
    private let running = Mutex<(subscription: EventSubscription, sampler: Task<Void, Never>)?>(nil)

    init(series: TaskSeries) { self.series = series }

    /// Starts counting `engine`'s events and sampling its queue once every `interval`, until ``stop()``.
    func start(_ engine: any TaskService, interval: Duration = .seconds(1), clock: any EngineClock) {
        let series = series
        let subscription = engine.events.subscribe { event in series.record(event) }.subscription
        let sampler = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { return }
                let statistics = await engine.statistics()
                series.sample(at: clock.nowMs(), queued: statistics.queued, running: statistics.running)
            }
        }
        let previous = running.withLock { running in
            defer { running = (subscription, sampler) }
            return running
        }
        previous?.subscription.cancel()
        previous?.sampler.cancel()
    }

    /// Stops counting and sampling; what was recorded stays readable.
    func stop() {
        let current = running.withLock { running in
            defer { running = nil }
            return running
        }
        current?.subscription.cancel()
        current?.sampler.cancel()
    }
}
