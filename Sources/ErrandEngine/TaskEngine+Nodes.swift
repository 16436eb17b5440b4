extension TaskEngine {
    /// The one node a single server is: its worker slots, queue and the attempts it runs per tool.
    public func nodes() async throws(TaskEngineError) -> [NodeReport] {
        var running: [String: Int] = [:]
        for entry in active.values {
            if case .running = entry.phase { running[entry.record.target, default: 0] += 1 }
        }
        return [
            NodeReport(
                name: "local", isSelf: true, workerSlots: workerSlots, queueDepth: runQueue.count, running: running)
        ]
    }
}
