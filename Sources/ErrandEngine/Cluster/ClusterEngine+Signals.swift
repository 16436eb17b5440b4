import ErrandProtocol
import Logging

/// Publishing: this node's own changes, and what other nodes' signals announce.
extension ClusterEngine {
    /// Publishes a stored change on ``events``, remembers the task's state and releases local waiters if it ended.
    func publish(_ change: TaskEvent.Change, _ record: TaskRecord) {
        if change == .deleted {
            remembered.forget(record.id)
        } else {
            remembered.note(record)
        }
        events.publish(change, task: record)
        if record.status.isTerminal || change == .deleted {
            resolveWaiters(record.id, with: record)
        } else {
            noteLatest(record)
        }
    }

    /// Acts on another node's signal.
    func handle(_ signal: ClusterSignal) async {
        switch signal {
        case .wake:
            await claimRunnable()
        case .changed(let id, let change, let status):
            if status == .cancelled, attempts[id]?.phase == .running {
                logger.info("task cancelled on another node; its attempt stops", metadata: ["task": "\(id)"])
                stopAttempt(id)
            }
            await publishRemote(id, change)
        case .inputAnswered(let id, let requestID):
            await takeAnswer(id, requestID: requestID)
        case .resynchronize:
            logger.notice("signals may have been lost; re-reading what this node waits for")
            await recheck()
            await claimRunnable()
        }
    }

    /// Publishes a change another node stored, as the task is now.
    ///
    /// A `.status` event is published whenever the status differs from the last state this node published (so a
    /// merged burst still shows every status change that matters, the terminal one above all), followed by a
    /// `.progress` event if the progress of an unfinished task changed too; a state already published is not
    /// published again. `.deleted` carries the last state this node remembers of the task; a
    /// task this node never saw (or forgot) is deleted without an event.
    private func publishRemote(_ id: TaskID, _ change: ClusterChange) async {
        let record: TaskRecord?
        do {
            record = try await store.task(id)
        } catch {
            logger.error(
                "could not read a task another node changed", metadata: ["task": "\(id)", "error": "\(error)"])
            return
        }
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

    /// Re-reads the tasks local waiters wait for and takes input answers whose signal may have been lost; publishes
    /// what changed. Runs every ``ClusterEngineConfiguration/waiterRecheckInterval`` and on
    /// ``ClusterSignal/resynchronize``.
    func recheck() async {
        for id in Array(waiters.keys) {
            let record: TaskRecord?
            do {
                record = try await store.task(id)
            } catch {
                logger.error("could not re-read a task", metadata: ["task": "\(id)", "error": "\(error)"])
                return
            }
            if let record {
                if record != remembered[id] { publish(.status, record) }
            } else if let gone = remembered[id] {
                publish(.deleted, gone)
            } else {
                releaseWaiters(id)
            }
        }
        await takeMissedAnswers()
    }
}
