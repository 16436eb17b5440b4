import ErrandEngine
import Synchronization

/// Counters and histograms for `GET /metrics`, updated lock-free with atomics on the request path.
///
/// - `errand_http_requests_total{status}`: every response `ErrandApplication` produced, by status code.
/// - `errand_task_submit_seconds`: time spent in the engine's `submit` for tasks started over REST
///   (validation and routing excluded; MCP submissions are not timed).
/// - `errand_mcp_backlog_dropped_total`: messages dropped from MCP session backlogs that overflowed
///   (``MCPSession``), counted by ``MCPServer``.
/// - `errand_task_run_seconds`: for each task that reached a terminal state, the time from its first
///   `working` entry in the history to its last update (the work, retries included, without queueing).
final class Metrics: Sendable {
    /// One atomic counter; an array of these is a table of counters that never needs a lock.
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
        func add(_ amount: Int = 1) { value.add(amount, ordering: .relaxed) }
        var current: Int { value.load(ordering: .relaxed) }
    }

    /// A Prometheus histogram with fixed upper bounds (seconds).
    final class Histogram: Sendable {
        let bounds: [Double]
        /// Non-cumulative counts per bucket; the last one is `+Inf`.
        let buckets: [Counter]
        let sumMicroseconds = Counter()
        let count = Counter()

        init(bounds: [Double]) {
            self.bounds = bounds
            self.buckets = (0...bounds.count).map { _ in Counter() }
        }

        func observe(seconds: Double) {
            let value = max(0, seconds)
            let index = bounds.firstIndex { value <= $0 } ?? bounds.count
            buckets[index].add()
            sumMicroseconds.add(Int((value * 1_000_000).rounded()))
            count.add()
        }

        func render(_ name: String, help: String, into out: inout String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            var cumulative = 0
            for (index, bound) in bounds.enumerated() {
                cumulative += buckets[index].current
                out += "\(name)_bucket{le=\"\(Metrics.format(bound))\"} \(cumulative)\n"
            }
            cumulative += buckets[bounds.count].current
            out += "\(name)_bucket{le=\"+Inf\"} \(cumulative)\n"
            out += "\(name)_sum \(Metrics.format(Double(sumMicroseconds.current) / 1_000_000))\n"
            out += "\(name)_count \(count.current)\n"
        }
    }

    /// Status codes 100...599, one counter each.
    private let responses: [Counter] = (100...599).map { _ in Counter() }
    let submitLatency = Histogram(bounds: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1])
    let runLatency = Histogram(bounds: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 10_800])
    private let subscription = Mutex<EventSubscription?>(nil)

    init() {}

    /// Counts one response.
    func countResponse(status: Int) {
        guard (100...599).contains(status) else { return }
        responses[status - 100].add()
    }

    /// Starts timing tasks that end, from the engine's event hub.
    func observe(_ events: EventHub) {
        let subscription = events.subscribe { [weak self] event in
            guard let self, event.change == .status, event.task.status.isTerminal else { return }
            if let started = event.task.history.first(where: { $0.status == .working })?.at {
                self.runLatency.observe(seconds: Double(event.task.lastUpdatedAt - started) / 1000)
            }
        }.subscription
        self.subscription.withLock { $0 = subscription }
    }

    func stop() { subscription.withLock { $0 }?.cancel() }

    /// The Prometheus text exposition (format 0.0.4) of everything above plus the given gauges.
    func render(
        statistics: TaskStatistics, subscribers: Int, sessions: Int, droppedBacklogMessages: Int, ready: Bool,
        storeReachable: Bool
    ) -> String {
        var out = ""
        out += "# HELP errand_up Whether the engine has started and accepts work (1) or not (0).\n"
        out += "# TYPE errand_up gauge\nerrand_up \(ready ? 1 : 0)\n"
        out += "# HELP errand_store_reachable Whether the task store answers this node's calls (1) or not (0).\n"
        out += "# TYPE errand_store_reachable gauge\nerrand_store_reachable \(storeReachable ? 1 : 0)\n"
        out += "# HELP errand_tasks Tasks the engine holds, by status.\n# TYPE errand_tasks gauge\n"
        for status in TaskStatus.allCases {
            out += "errand_tasks{status=\"\(status.rawValue)\"} \(statistics.byStatus[status] ?? 0)\n"
        }
        out += "# HELP errand_queue_depth Tasks waiting for a free execution slot.\n"
        out += "# TYPE errand_queue_depth gauge\nerrand_queue_depth \(statistics.queued)\n"
        out += "# HELP errand_tasks_running Task attempts executing now.\n"
        out += "# TYPE errand_tasks_running gauge\nerrand_tasks_running \(statistics.running)\n"
        out += "# HELP errand_event_subscribers Subscribers of the task event hub (SSE streams and internal).\n"
        out += "# TYPE errand_event_subscribers gauge\nerrand_event_subscribers \(subscribers)\n"
        out += "# HELP errand_mcp_sessions Live MCP sessions.\n"
        out += "# TYPE errand_mcp_sessions gauge\nerrand_mcp_sessions \(sessions)\n"
        out += "# HELP errand_mcp_backlog_dropped_total Messages dropped from MCP session backlogs that overflowed.\n"
        out += "# TYPE errand_mcp_backlog_dropped_total counter\n"
        out += "errand_mcp_backlog_dropped_total \(droppedBacklogMessages)\n"
        out += "# HELP errand_http_requests_total HTTP responses sent, by status code.\n"
        out += "# TYPE errand_http_requests_total counter\n"
        for (offset, counter) in responses.enumerated() where counter.current > 0 {
            out += "errand_http_requests_total{status=\"\(offset + 100)\"} \(counter.current)\n"
        }
        submitLatency.render(
            "errand_task_submit_seconds", help: "Time the engine took to accept a task submitted over REST.",
            into: &out)
        runLatency.render(
            "errand_task_run_seconds", help: "From a task's first start to its terminal state, for ended tasks.",
            into: &out)
        return out
    }

    static func format(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
