public import ErrandProtocol

/// The `input_required` round trip: a running attempt asks, a client answers through ``provideInput``.
extension TaskEngine {
    /// Answers an input request a running task made (see ``TaskContext/requestInput(_:)``).
    ///
    /// The task goes back to `working` once no other request of it is open.
    /// - Throws: `.alreadyTerminal` if the task ended, `.notFound` for an unknown task or request id.
    public func provideInput(taskID: TaskID, requestID: String, response: JSONValue) async throws(TaskEngineError) {
        guard let entry = active[taskID], !entry.record.status.isTerminal else {
            if let record = try await storedTask(taskID), record.status.isTerminal {
                throw TaskEngineError(
                    .alreadyTerminal(record.status),
                    "Cannot provide input: the task is already in terminal status '\(record.status.rawValue)'")
            }
            throw .taskNotFound
        }
        guard let wait = entry.inputs[requestID], wait.response == nil else {
            throw TaskEngineError(.notFound, "Input request not found: it was answered already or never made")
        }
        let continuation = mutate(taskID) { entry -> CheckedContinuation<JSONValue, any Error>? in
            if let continuation = wait.continuation {
                entry.inputs[requestID] = nil
                return continuation
            }
            entry.inputs[requestID]?.response = response
            return nil
        }
        let stillWaiting = active[taskID]?.inputs.values.contains { $0.response == nil } ?? false
        if !stillWaiting, entry.record.status == .inputRequired {
            transition(taskID, to: .working, message: TaskInputRequest.answerMessage(response))
        } else if active[taskID]?.record.inputRequest?.id == requestID {
            mutate(taskID) { $0.record.inputRequest = nil }
        }
        continuation??.resume(returning: response)
        await flushLogged(taskID)
    }

    /// Moves the task to `input_required`, publishes the request and waits for its answer.
    func requestInput(_ id: TaskID, serial: UInt64, _ request: JSONValue) async throws -> JSONValue {
        try Task.checkCancellation()
        guard let entry = active[id], entry.runningSerial == serial, !entry.record.status.isTerminal else {
            throw CancellationError()
        }
        let number = entry.inputCount + 1
        let requestID = "\(id)-in-\(number)"
        let askedAt = clock.nowMs()
        mutate(id) { entry in
            entry.inputCount = number
            entry.inputs[requestID] = ActiveTask.InputWait()
            entry.record.inputRequest = TaskInputRequest(id: requestID, request: request, askedAt: askedAt)
        }
        let inputRequested = TaskEvent.Change.inputRequested(requestID: requestID, request: request)
        if entry.record.status == .working {
            transition(id, to: .inputRequired, message: nil, extra: [inputRequested])
        } else {
            stage(id, [inputRequested])
        }
        await flushLogged(id)

        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let registration = mutate(id) { entry -> InputRegistration in
                    guard let wait = entry.inputs[requestID] else { return .cancelled }
                    if let response = wait.response {
                        entry.inputs[requestID] = nil
                        return .answered(response)
                    }
                    entry.inputs[requestID]?.continuation = continuation
                    return .waiting
                }
                switch registration ?? .cancelled {
                case .waiting: break
                case .answered(let response): continuation.resume(returning: response)
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            Task { await self.abandonInput(id, requestID: requestID) }
        }
    }

    /// The wait for `requestID` was cancelled: stop waiting. When the attempt itself goes on (the tool gave up
    /// waiting, e.g. ``TaskContext`` callers with a timeout) and no other question is open, the task is `working`
    /// again and the question is withdrawn.
    func abandonInput(_ id: TaskID, requestID: String) async {
        let continuation = mutate(id) { entry -> CheckedContinuation<JSONValue, any Error>? in
            guard let continuation = entry.inputs[requestID]?.continuation else { return nil }
            entry.inputs[requestID] = nil
            return continuation
        }
        continuation??.resume(throwing: CancellationError())
        guard continuation != nil, !isStopping, let entry = active[id], entry.runningSerial != nil,
            entry.record.status == .inputRequired, entry.inputs.isEmpty
        else { return }
        transition(id, to: .working, message: Self.questionWithdrawn)
        await flushLogged(id)
    }

    /// The history message of a question nobody answered before the tool stopped waiting.
    public static let questionWithdrawn = "no answer to the question in time; the task goes on without it"

    /// Fails every open input request of `id` (its attempt is over).
    func abandonInputs(_ id: TaskID) {
        let continuations =
            mutate(id) { entry -> [CheckedContinuation<JSONValue, any Error>] in
                defer { entry.inputs = [:] }
                return entry.inputs.values.compactMap(\.continuation)
            } ?? []
        for continuation in continuations { continuation.resume(throwing: CancellationError()) }
    }
}

/// What registering for an input response found.
private enum InputRegistration {
    case waiting
    case answered(JSONValue)
    case cancelled
}
