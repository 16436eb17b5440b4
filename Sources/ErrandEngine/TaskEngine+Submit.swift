import ErrandProtocol
import Logging

extension TaskEngine {
    /// Creates a task and schedules it; returns at once, before any work is done.
    ///
    /// The new task is `working` when a worker slot is free (its attempt has started by the time this returns),
    /// else `queued` with a status message saying how many tasks are ahead. The requested ttl is clamped to
    /// `minTTLMs...maxTTLMs` (`nil` → `defaultTTLMs`); the record carries the effective value.
    /// - Throws: `.quotaExceeded` when the owner already has `maxActiveTasksPerOwner` non-terminal tasks,
    ///   `.shuttingDown` after ``shutdown()``, `.storage` if the store refused the task.
    public func submit(_ submission: TaskSubmission) async throws(TaskEngineError) -> TaskRecord {
        guard lifecycle != .shuttingDown else {
            throw TaskEngineError(.shuttingDown, "The server is shutting down and accepts no new tasks")
        }
        let quotaKey = submission.owner.quotaKey
        let ownerActive = activePerOwner[quotaKey] ?? 0
        guard ownerActive < configuration.maxActiveTasksPerOwner else {
            throw TaskEngineError(
                .quotaExceeded(retryAfterSeconds: quotaRetryAfterSeconds),
                "Too many active tasks: this owner already has \(ownerActive) tasks running or queued, the limit"
                    + " (maxActiveTasksPerOwner) is \(configuration.maxActiveTasksPerOwner); wait for one to finish"
            )
        }

        let now = clock.nowMs()
        let startsNow = running < configuration.maxConcurrentTasks && runQueue.isEmpty
        let status: TaskStatus = startsNow ? .working : .queued
        let attempt = startsNow ? 1 : 0
        let message: String? = startsNow ? nil : Self.queuedMessage(ahead: runQueue.ahead(of: submission.priority))
        var record = TaskRecord(
            id: TaskID.random(), owner: submission.owner, kind: submission.kind, target: submission.target,
            arguments: submission.arguments, status: status, statusMessage: message, createdAt: now,
            lastUpdatedAt: now, ttlMs: effectiveTTL(submission.requestedTTLMs),
            pollIntervalMs: submission.pollIntervalMs ?? configuration.defaultPollIntervalMs, attempt: attempt,
            priority: submission.priority,
            history: [TaskHistoryEntry(at: now, status: status, message: message, attempt: attempt)],
            requestMeta: submission.requestMeta)
        record.history.reserveCapacity(startsNow ? 2 : 3)
        let policy = runner.policy(for: record)

        // Reserve the slot and the quota while the store works, so that concurrent submissions count this one.
        activePerOwner[quotaKey] = ownerActive + 1
        if startsNow { running += 1 }
        do {
            try await store.insert(record)
        } catch {
            releaseQuota(submission.owner)
            if startsNow {
                running -= 1
                await startQueued()
            }
            logger.error("could not store a new task", metadata: ["error": "\(error)"])
            throw .storage("create the task", error)
        }
        countsByStatus[status, default: 0] += 1
        if lifecycle == .shuttingDown {
            // Shutdown began while the store worked: leave the task stored for recovery at the next start.
            releaseQuota(submission.owner)
            if startsNow { running -= 1 }
            return record
        }

        if startsNow {
            let serial = makeSerial()
            let task = launch(record, serial: serial, policy: policy)
            active[record.id] = ActiveTask(record: record, policy: policy, phase: .running(serial: serial, task: task))
            events.publish(.created, task: record)
        } else {
            let ticket = makeSerial()
            active[record.id] = ActiveTask(record: record, policy: policy, phase: .queued(ticket: ticket))
            _ = runQueue.push(record.id, ticket: ticket, priority: record.priority)
            events.publish(.created, task: record)
            await startQueued()
        }
        return record
    }

    /// The ttl a task gets when `requested` was asked for.
    func effectiveTTL(_ requested: Int64?) -> Int64 {
        let ttl = requested ?? configuration.defaultTTLMs
        return min(max(ttl, configuration.minTTLMs), configuration.maxTTLMs)
    }

    var quotaRetryAfterSeconds: Int { max(1, Int(configuration.defaultPollIntervalMs / 1000)) }

    static func queuedMessage(ahead: Int) -> String {
        ahead == 1 ? "queued: 1 task ahead" : "queued: \(ahead) tasks ahead"
    }
}
