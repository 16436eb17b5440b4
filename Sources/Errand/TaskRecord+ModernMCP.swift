import ErrandEngine
import ErrandProtocol

extension TaskRecord {
    /// The task as the tasks extension shows it (a `DetailedTask`): flat `ttlMs` / `pollIntervalMs`, and by
    /// status the `result`, the `error` or the open `inputRequests` inlined.
    ///
    /// A view over the one stored outcome, not a second truth: a tool result with `isError: true` (stored as
    /// `failed` for 2025-11-25) reads `completed` here; `failed` is left for JSON-RPC errors and work that
    /// ended without a result. `queued` reads `working`, and so does `input_required` while this node does not
    /// know the open requests yet (their event follows the status change).
    func modernTask(inputRequests: [String: JSONValue]) -> JSONValue {
        var task: [String: JSONValue] = [
            "taskId": .string(id.rawValue),
            "createdAt": .string(Timestamp.rfc3339(millisecondsSinceEpoch: createdAt)),
            "lastUpdatedAt": .string(Timestamp.rfc3339(millisecondsSinceEpoch: lastUpdatedAt)),
            "ttlMs": ttlMs.map { .int($0) } ?? .null,
            "pollIntervalMs": .int(pollIntervalMs),
        ]
        if let statusMessage { task["statusMessage"] = .string(statusMessage) }
        let status: TaskStatus
        switch (self.status, outcome) {
        case (.queued, _), (.working, _):
            status = .working
        case (.inputRequired, _):
            if inputRequests.isEmpty {
                status = .working
            } else {
                status = .inputRequired
                task["inputRequests"] = .object(inputRequests)
            }
        case (.completed, .result(let result)?), (.failed, .result(let result)?):
            status = .completed
            task["result"] = result.setting("resultType", to: "complete")
            if self.status == .failed { task["statusMessage"] = nil }
        case (.completed, .error(let error)?), (.failed, .error(let error)?):
            status = .failed
            task["error"] = error.json
        case (.completed, nil):
            status = .completed
            task["result"] = ["content": [], "resultType": "complete"]
        case (.failed, nil):
            status = .failed
            task["error"] = JSONRPCError.internalError(statusMessage ?? "The task failed without a result").json
        case (.cancelled, _):
            status = .cancelled
        }
        task["status"] = .string(status.rawValue)
        return .object(task)
    }

    /// The extension's `CreateTaskResult`: the task's fields flat, with `resultType: "task"`.
    var modernCreateTaskResult: JSONValue {
        modernTask(inputRequests: [:]).setting("resultType", to: "task")
    }
}
