/// Task logs: lines are published the moment they are logged and stored with the task at most
/// ``TaskEngineConfiguration/logStoreDelay`` later (or with the task's next write, whichever comes first).
extension TaskEngine {
    /// Appends a line to the log of a running attempt and publishes it; arms the store timer.
    func appendLog(_ id: TaskID, serial: UInt64, level: TaskLogLevel, text: String) {
        let now = clock.nowMs()
        let limits = configuration.logLimits
        let appended =
            mutate(id) { entry -> (TaskLogLine, TaskRecord)? in
                guard entry.runningSerial == serial, !entry.record.status.isTerminal else { return nil }
                let line = entry.record.log.append(text, level: level, at: now, limits: limits)
                // A snapshot without the lines, so the next append does not copy them (events carry none anyway).
                var snapshot = entry.record
                snapshot.log = entry.record.log.withoutLines
                return (line, snapshot)
            } ?? nil
        guard let (line, record) = appended else { return }
        events.publish(.log([line]), task: record)
        if unstoredLogs.insert(id).inserted { schedule(.storeLog(id), after: configuration.logStoreDelay) }
    }

    /// Stores a task whose log changed since its last write (a write since then already stored the lines).
    func storeLog(_ id: TaskID) async {
        guard unstoredLogs.remove(id) != nil, let entry = active[id], !entry.record.status.isTerminal else { return }
        stage(id, [])
        await flushLogged(id)
    }
}

extension TaskRecord {
    /// The record without its log lines (keeping the log's line count): what events and replay carry, so that a
    /// chatty task's log is not copied into every event. Readers get lines from ``TaskEvent/Change/log(_:)``
    /// events and from the stored task.
    public var withoutLogLines: TaskRecord {
        guard !log.lines.isEmpty else { return self }
        var copy = self
        copy.log = log.withoutLines
        return copy
    }
}
