import ErrandProtocol
import Logging

/// Publishing: this node's own changes, and what other nodes' signals announce.
extension ClusterEngine {
    /// Tasks one ``recheck()`` query reads at a time.
    static let recheckChunk = 500

    /// Publishes a stored change on ``events``, remembers the task's state and releases local waiters if it ended.
    func publish(_ change: TaskEvent.Change, _ record: TaskRecord) {
        if change == .deleted {
            remembered.forget(record.id)
        } else {
            remembered.note(record.withoutLogLines)
        }
        events.publish(change, task: record)
        if record.status.isTerminal || change == .deleted {
            resolveWaiters(record.id, with: record)
        } else {
            noteLatest(record)
        }
    }

    /// Acts on a batch of other nodes' signals, in order. Attempts cancelled elsewhere stop first; then the tasks the
    /// batch names are read with one query (after every signal of the batch arrived, so the read shows all their
    /// changes), and a task changed several times in the batch is published once as it is now; a `wake` claims
    /// once, at the end.
    func handle(_ batch: [ClusterSignal]) async {
        var ids: [TaskID] = []
        var named: Set<TaskID> = []
        for case .changed(let id, _, let status) in batch {
            if named.insert(id).inserted { ids.append(id) }
            if status == .cancelled, attempts[id]?.phase == .running {
                logger.info("task cancelled on another node; its attempt stops", metadata: ["task": "\(id)"])
                stopAttempt(id)
            }
        }
        var records: [TaskID: TaskRecord]?
        if !ids.isEmpty {
            do {
                records = try await store.tasks(ids)
            } catch {
                // Not dropped: the next recheck (every `waiterRecheckInterval`) reads them again and publishes
                // what changed.
                logger.error(
                    "could not read the tasks other nodes changed; will read them again",
                    metadata: ["tasks": "\(ids.count)", "error": "\(error)"])
                keepUnsynced(ids)
            }
        }
        var wake = false
        for signal in batch {
            switch signal {
            case .wake:
                wake = true
            case .changed(let id, let change, _):
                if let records { await publishRemote(id, change, now: records[id]) }
            case .inputAnswered(let id, let requestID):
                await takeAnswer(id, requestID: requestID)
            case .resynchronize:
                logger.notice("signals may have been lost; re-reading every task this node knows of")
                fullResyncDue = true
                await recheck()
                wake = true
            }
        }
        if wake { await claimRunnable() }
    }

    /// Keeps `ids`, whose signalled change could not be read, for the next ``recheck()``. Bounded like the
    /// signal inbox: past ``ClusterEngineConfiguration/rememberedTasks`` ids (more than a full resynchronisation
    /// re-reads) they are dropped for one full resynchronisation, which covers every one of them that this node
    /// remembers — as when signals are dropped.
    func keepUnsynced(_ ids: [TaskID]) {
        unsyncedTasks.formUnion(ids)
        guard unsyncedTasks.count > configuration.rememberedTasks else { return }
        logger.notice(
            "too many tasks other nodes changed could not be read; re-reading every task this node knows of instead",
            metadata: ["tasks": "\(unsyncedTasks.count)", "limit": "\(configuration.rememberedTasks)"])
        unsyncedTasks = []
        fullResyncDue = true
    }

    /// Publishes a change another node stored, as the task is now.
    ///
    /// A `.status` event is published whenever the status differs from the last state this node published (so a
    /// merged burst still shows every status change that matters, the terminal one above all), followed by a
    /// `.progress` event if the progress of an unfinished task changed too; a state already published is not
    /// published again. `.deleted` carries the last state this node remembers of the task; a
    /// task this node never saw (or forgot) is deleted without an event.
    private func publishRemote(_ id: TaskID, _ change: ClusterChange, now record: TaskRecord?) async {
        if let record, change != .deleted { publishNewLogLines(id, record) }
        await publishRemoteChange(id, change, now: record?.withoutLogLines)
    }

    /// Publishes the lines of `record`'s log that this node has not published yet — before any status change of
    /// the same read, since a log follower ends at the terminal status — and counts them in the remembered
    /// state, so that a write that only stored lines publishes nothing else.
    private func publishNewLogLines(_ id: TaskID, _ record: TaskRecord) {
        let logged = remembered[id]?.log.lastSequence ?? 0
        guard record.log.lastSequence > logged else { return }
        let lines = Array(record.log.lines(after: logged))
        if !lines.isEmpty { events.publish(.log(lines), task: record) }
        if var last = remembered[id] {
            last.log = record.log.withoutLines
            remembered.note(last)
        }
    }

    private func publishRemoteChange(_ id: TaskID, _ change: ClusterChange, now record: TaskRecord?) async {
        let last = remembered[id]
        if case .deleted = change {
            guard let gone = record ?? last else { return }
            publish(.deleted, gone)
            return
        }
        guard let record else { return }
        switch change {
        case .created where last == nil:
            publish(.created, record)
        case .inputRequested(let requestID):
            if record.status != last?.status { publish(.status, record) }
            let request: JSONValue?
            do {
                request = try await store.inputRequest(taskID: id, requestID: requestID)
            } catch {
                logger.error("could not read an input request", metadata: ["task": "\(id)", "error": "\(error)"])
                return
            }
            if let request, record.status == .inputRequired {
                publish(.inputRequested(requestID: requestID, request: request), record)
            }
        case .progress where record.status == last?.status:
            if record != last { publish(.progress, record) }
        default:
            guard record != last else { return }
            publish(.status, record)
            // Progress stored together with the status change (read at once) still gets its own event: MCP
            // clients hear of progress only from progress events. Not for an ended task: its result says enough.
            if let progress = record.progress, progress != last?.progress, !record.status.isTerminal {
                publish(.progress, record)
            }
        }
    }

    /// Re-reads the tasks local waiters wait for, those whose signalled change could not be read
    /// (``unsyncedTasks``) and, when a full resynchronisation is due, every task this node remembers; takes input
    /// answers whose signal may have been lost; publishes what changed. Runs every
    /// ``ClusterEngineConfiguration/waiterRecheckInterval`` and on ``ClusterSignal/resynchronize``. What it
    /// cannot read stays due for the next run.
    func recheck() async {
        var wanted = Set(waiters.keys).union(unsyncedTasks)
        let full = fullResyncDue
        if full { wanted.formUnion(remembered.ids) }
        let ids = Array(wanted)
        var records: [TaskID: TaskRecord] = [:]
        do {
            for start in stride(from: 0, to: ids.count, by: Self.recheckChunk) {
                let chunk = Array(ids[start..<min(start + Self.recheckChunk, ids.count)])
                records.merge(try await store.tasks(chunk)) { _, new in new }
            }
        } catch {
            logger.error("could not re-read tasks", metadata: ["tasks": "\(ids.count)", "error": "\(error)"])
            return
        }
        unsyncedTasks.subtract(ids)
        if full { fullResyncDue = false }
        for id in ids {
            if let record = records[id] {
                publishNewLogLines(id, record)
                let changed = record.withoutLogLines
                if changed != remembered[id] { publish(.status, changed) }
            } else if let gone = remembered[id] {
                publish(.deleted, gone)
            } else {
                releaseWaiters(id)
            }
        }
        await takeMissedAnswers()
    }
}
