import ErrandEngine
import ErrandProtocol
import Synchronization

/// Turns engine events into MCP messages on session GET streams: `notifications/tasks/status` for every
/// change of a task a session created or looked at, `notifications/progress` for tasks whose call carried a
/// progress token, and in-task `elicitation/create` requests.
final class TaskNotifier: Sendable {
    private struct PendingInput {
        var taskID: TaskID
        var requestID: String
    }

    private struct State {
        /// Sessions other than the creator that asked about a task.
        var watchers: [TaskID: Set<String>] = [:]
        var pendingInputs: [JSONRPCID: PendingInput] = [:]
        var subscription: EventSubscription?
    }

    private let sessions: MCPSessionStore
    private let engine: TaskEngine
    private let state = Mutex(State())

    init(sessions: MCPSessionStore, engine: TaskEngine) {
        self.sessions = sessions
        self.engine = engine
        let subscription = engine.events.subscribe { [weak self] event in self?.handle(event) }.subscription
        state.withLock { $0.subscription = subscription }
    }

    func stop() { state.withLock { $0.subscription }?.cancel() }

    /// Sends this session the task's future status changes too. Only for tasks the session may see: the
    /// watch lasts until the task ends or is deleted.
    func watch(_ taskID: TaskID, session: String) {
        state.withLock { _ = $0.watchers[taskID, default: []].insert(session) }
    }

    /// Tasks some session watches (for tests).
    var watchedTaskCount: Int { state.withLock { $0.watchers.count } }

    private func handle(_ event: TaskEvent) {
        let task = event.task
        switch event.change {
        case .created:
            return
        case .deleted:
            state.withLock { _ = $0.watchers.removeValue(forKey: task.id) }
            return
        case .inputRequested(let requestID, let request):
            requestInput(task: task, requestID: requestID, request: request)
            return
        case .status, .progress:
            break
        }
        var audience =
            state.withLock { state in
                task.status.isTerminal ? state.watchers.removeValue(forKey: task.id) : state.watchers[task.id]
            } ?? []
        if let creator = task.owner.session { audience.insert(creator) }
        let status = MCPSession.event(
            .notification(method: "notifications/tasks/status", params: task.mcpTask))
        for sessionID in audience {
            // A session only ever hears of tasks its principal may see.
            guard let session = sessions.session(sessionID), session.supportsTasks,
                session.owner.mayAccess(task.owner)
            else { continue }
            session.sendOnGetStream(event: status)
        }
        if event.change == .progress, let progress = task.progress, let token = task.requestMeta?["progressToken"],
            let creator = task.owner.session.flatMap(sessions.session)
        {
            var params: [String: JSONValue] = [
                "progressToken": token, "progress": .double(progress.current), "_meta": task.relatedTaskMeta,
            ]
            if let total = progress.total { params["total"] = .double(total) }
            if let message = progress.message { params["message"] = .string(message) }
            creator.sendOnGetStream(.notification(method: "notifications/progress", params: .object(params)))
        }
    }

    /// Delivers an in-task input request as `elicitation/create` to the creating session, or answers it with
    /// an error at once when that client cannot be asked.
    private func requestInput(task: TaskRecord, requestID: String, request: JSONValue) {
        let rpcID = JSONRPCID.string("errand-input-\(requestID)")
        guard let session = task.owner.session.flatMap(sessions.session), session.declares("elicitation") else {
            state.withLock { $0.pendingInputs[rpcID] = PendingInput(taskID: task.id, requestID: requestID) }
            let error = JSONRPCError.methodNotFound("The client did not declare the elicitation capability")
            Task { await self.deliverInputResponse(id: rpcID, outcome: .failure(error)) }
            return
        }
        state.withLock { $0.pendingInputs[rpcID] = PendingInput(taskID: task.id, requestID: requestID) }
        var params = request.objectValue ?? [:]
        params["_meta"] = task.relatedTaskMeta
        session.sendOnGetStream(.request(id: rpcID, method: "elicitation/create", params: .object(params)))
    }

    /// Hands the client's answer to the waiting task. Unknown ids are ignored.
    func deliverInputResponse(id: JSONRPCID, outcome: Result<JSONValue, JSONRPCError>) async {
        guard let pending = state.withLock({ $0.pendingInputs.removeValue(forKey: id) }) else { return }
        let response: JSONValue
        switch outcome {
        case .success(let result): response = result
        case .failure(let error): response = ["error": error.json]
        }
        try? await engine.provideInput(taskID: pending.taskID, requestID: pending.requestID, response: response)
    }
}
