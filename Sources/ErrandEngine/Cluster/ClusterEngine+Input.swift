public import ErrandProtocol
import Logging

/// The `input_required` round trip across nodes: the attempt asks on the node running it, a client answers on any
/// node, the store carries the answer, and the running node takes it.
extension ClusterEngine {
    /// Answers an input request a running task made (see ``TaskContext/requestInput(_:)``).
    ///
    /// Returns once the answer is stored. The node running the task takes it (at once if that is this node, else
    /// when the signal arrives, at the latest after ``ClusterEngineConfiguration/waiterRecheckInterval``), and the
    /// task goes back to `working` once none of its requests is open.
    /// - Throws: `.alreadyTerminal` if the task ended, `.notFound` for an unknown task or request id (or a request
    ///   answered already), `.storage` if the store failed.
    public func provideInput(taskID: TaskID, requestID: String, response: JSONValue) async throws(TaskEngineError) {
        guard let record = try await storedTask(taskID) else { throw .taskNotFound }
        guard !record.status.isTerminal else {
            throw TaskEngineError(
                .alreadyTerminal(record.status),
                "Cannot provide input: the task is already in terminal status '\(record.status.rawValue)'")
        }
        let answered: Bool
        do {
            answered = try await store.answerInputRequest(
                taskID: taskID, requestID: requestID, response: response, origin: node)
        } catch {
            throw .storage("store the answer", error)
        }
        guard answered else {
            throw TaskEngineError(.notFound, "Input request not found: it was answered already or never made")
        }
        await takeAnswer(taskID, requestID: requestID)
    }

    /// Moves the task to `input_required`, stores and publishes the request, and waits for its answer; then the
    /// task goes back to `working` once none of its requests is open.
    func requestInput(_ id: TaskID, serial: UInt64, _ request: JSONValue) async throws -> JSONValue {
        try Task.checkCancellation()
        guard lifecycle != .shuttingDown, let asking = attempt(id, serial: serial, in: .running) else {
            throw CancellationError()
        }
        let number = asking.inputCount + 1
        let requestID = "\(id)-in-\(asking.record.attempt)-\(number)"
        var record = asking.record
        record.inputRequest = TaskInputRequest(id: requestID, request: request, askedAt: clock.nowMs())
        var publishing: [TaskEvent.Change] = [.inputRequested(requestID: requestID, request: request)]
        if record.status == .working, record.apply(.inputRequired, message: nil, at: clock.nowMs()) {
            publishing.insert(.status, at: 0)
        }
        attempts[id]?.inputCount = number
        attempts[id]?.inputs[requestID] = ClusterAttempt.InputWait()
        attempts[id]?.record = record
        let opened: Bool
        do {
            opened = try await store.openInputRequest(
                record, lease: asking.lease, requestID: requestID, request: request)
        } catch {
            logger.error("could not store an input request", metadata: ["task": "\(id)", "error": "\(error)"])
            attempts[id]?.inputs[requestID] = nil
            throw error
        }
        guard opened else {
            logger.notice("lease lost; the input request was refused and the work stops", metadata: ["task": "\(id)"])
            if self.attempt(id, serial: serial, in: .running) != nil { stopAttempt(id) }
            throw CancellationError()
        }
        if self.attempt(id, serial: serial, in: .running) != nil {
            for change in publishing { publish(change, record) }
        }
        let answer = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                registerInputWait(id, serial: serial, requestID: requestID, continuation)
            }
        } onCancel: {
            Task { await self.abandonInput(id, requestID: requestID) }
        }
        if var record = self.attempt(id, serial: serial, in: .running)?.record,
            attempts[id]?.inputs.isEmpty == true, record.status == .inputRequired,
            record.apply(.working, message: TaskInputRequest.answerMessage(answer), at: clock.nowMs())
        {
            attempts[id]?.record = record
            await writeAttempt(id, serial: serial, in: .running, record, change: .status, publishing: [.status])
        }
        return answer
    }

    private func registerInputWait(
        _ id: TaskID, serial: UInt64, requestID: String, _ continuation: CheckedContinuation<JSONValue, any Error>
    ) {
        guard attempts[id]?.serial == serial, let wait = attempts[id]?.inputs[requestID] else {
            continuation.resume(throwing: CancellationError())
            return
        }
        if let answer = wait.answer {
            attempts[id]?.inputs[requestID] = nil
            continuation.resume(returning: answer)
        } else {
            attempts[id]?.inputs[requestID]?.continuation = continuation
        }
    }

    /// Takes the stored answer of `requestID` if this node runs the attempt waiting for it, and hands it over.
    func takeAnswer(_ id: TaskID, requestID: String) async {
        guard let wait = attempts[id]?.inputs[requestID], wait.answer == nil else { return }
        let answer: JSONValue?
        do {
            answer = try await store.takeInputAnswer(taskID: id, requestID: requestID)
        } catch {
            logger.error("could not read an input answer", metadata: ["task": "\(id)", "error": "\(error)"])
            return
        }
        guard let answer, let wait = attempts[id]?.inputs[requestID], wait.answer == nil else { return }
        if let continuation = wait.continuation {
            attempts[id]?.inputs[requestID] = nil
            continuation.resume(returning: answer)
        } else {
            attempts[id]?.inputs[requestID]?.answer = answer
        }
    }

    /// Takes the answers of every open request of this node's attempts that were answered (signals may be lost).
    func takeMissedAnswers() async {
        for (id, attempt) in attempts where attempt.phase == .running {
            for (requestID, wait) in attempt.inputs where wait.answer == nil {
                await takeAnswer(id, requestID: requestID)
            }
        }
    }

    /// The handler waiting for `requestID` was cancelled: stop waiting.
    func abandonInput(_ id: TaskID, requestID: String) async {
        guard let continuation = attempts[id]?.inputs[requestID]?.continuation else { return }
        attempts[id]?.inputs[requestID] = nil
        continuation.resume(throwing: CancellationError())
        // The tool gave up waiting but goes on: working again, the question withdrawn (as on a single node).
        guard lifecycle != .shuttingDown, let attempt = attempts[id], attempt.phase == .running,
            attempt.inputs.isEmpty, attempt.record.status == .inputRequired
        else { return }
        var record = attempt.record
        guard record.apply(.working, message: TaskEngine.questionWithdrawn, at: clock.nowMs()) else { return }
        attempts[id]?.record = record
        await writeAttempt(id, serial: attempt.serial, in: .running, record, change: .status, publishing: [.status])
    }

    /// Fails every open input request of `id`'s attempt (it is over).
    func failInputs(_ id: TaskID) {
        guard let inputs = attempts[id]?.inputs else { return }
        attempts[id]?.inputs = [:]
        for wait in inputs.values { wait.continuation?.resume(throwing: CancellationError()) }
    }
}
