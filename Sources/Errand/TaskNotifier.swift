import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Synchronization

/// Turns engine events into MCP messages on session GET streams: `notifications/tasks/status` for every
/// change of a task a session created or looked at, `notifications/progress` for tasks whose call carried a
/// progress token, and in-task `elicitation/create` requests.
final class TaskNotifier: Sendable {
    /// An in-task request the client has not answered yet.
    private struct PendingInput {
        var taskID: TaskID
        var requestID: String
        /// The session asked: only it may answer, and it gets the request again when its GET stream reopens.
        var sessionID: String
        var event: SSEEvent
    }

    private struct State {
        /// Sessions other than the creator that asked about a task.
        var watchers: [TaskID: Set<String>] = [:]
        var pendingInputs: [JSONRPCID: PendingInput] = [:]
        var subscription: EventSubscription?
    }

    private let sessions: MCPSessionStore
    private let engine: any TaskService
    private let state = Mutex(State())

    init(sessions: MCPSessionStore, engine: any TaskService) {
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

    func unwatch(_ taskID: TaskID, session: String) {
        state.withLock { state in
            state.watchers[taskID]?.remove(session)
            if state.watchers[taskID]?.isEmpty == true { state.watchers[taskID] = nil }
        }
    }

    /// Tasks some session watches (for tests).
    var watchedTaskCount: Int { state.withLock { $0.watchers.count } }

    private func handle(_ event: TaskEvent) {
        let task = event.task
        switch event.change {
        case .created:
            return
        case .deleted:
            state.withLock { state in
                state.watchers.removeValue(forKey: task.id)
                Self.forgetInputs(of: task.id, in: &state)
            }
            return
        case .inputRequested(let requestID, let request):
            requestInput(task: task, requestID: requestID, request: request)
            return
        case .log(let lines):
            sendLog(lines, of: task)
            return
        case .status, .progress:
            break
        }
        var audience =
            state.withLock { state -> Set<String>? in
                guard task.status.isTerminal else { return state.watchers[task.id] }
                Self.forgetInputs(of: task.id, in: &state)
                return state.watchers.removeValue(forKey: task.id)
            } ?? []
        if let creator = task.owner.session { audience.insert(creator) }
        // Encoded once, and only for a live session: a REST task's creator (`rest:…`) is no session, so most
        // events of a REST-driven server encode nothing.
        var status: SSEEvent?
        for sessionID in audience {
            // A session only ever hears of tasks its principal may see.
            guard let session = sessions.session(sessionID), session.supportsTasks,
                session.owner.mayAccess(task.owner)
            else { continue }
            let event =
                status ?? MCPSession.event(.notification(method: "notifications/tasks/status", params: task.mcpTask))
            status = event
            session.sendOnGetStream(event: event)
        }
        if event.change == .progress, let progress = task.progress, let token = task.requestMeta?["progressToken"],
            let creator = task.owner.session.flatMap(sessions.session)
        {
            creator.sendOnGetStream(progress.progressNotification(token: token, meta: task.relatedTaskMeta))
        }
    }

    /// Sends a task's log lines as `notifications/message` to the sessions watching it (and its creator), each
    /// at or above the level the session set with `logging/setLevel`.
    private func sendLog(_ lines: [TaskLogLine], of task: TaskRecord) {
        var audience = state.withLock { $0.watchers[task.id] } ?? []
        if let creator = task.owner.session { audience.insert(creator) }
        for sessionID in audience {
            guard let session = sessions.session(sessionID), session.owner.mayAccess(task.owner) else { continue }
            let threshold = session.logLevel
            for line in lines where line.level >= threshold {
                session.sendOnGetStream(
                    .notification(
                        method: "notifications/message",
                        params: [
                            "level": .string(line.level.rawValue), "logger": .string(task.target),
                            "data": .string(line.text), "_meta": task.relatedTaskMeta,
                        ]))
            }
        }
    }

    /// Delivers an in-task input request as `elicitation/create` to the creating session when that client declared
    /// elicitation. Either way the question stays open with the task (`inputRequest`), so anyone who may see the
    /// task can answer it over REST, the dashboard or `tasks/update`; the first answer wins. Unanswered requests
    /// are sent again whenever the session's GET stream reopens (same id).
    private func requestInput(task: TaskRecord, requestID: String, request: JSONValue) {
        // A 2026-07-28 task has no session to ask: its client reads the request in tasks/get.
        guard !task.owner.isModernMCP else { return }
        let rpcID = JSONRPCID.string("errand-input-\(requestID)")
        var params = request.objectValue ?? [:]
        params["_meta"] = task.relatedTaskMeta
        let event = MCPSession.event(.request(id: rpcID, method: "elicitation/create", params: .object(params)))
        let sessionID = task.owner.session ?? ""
        // A client that cannot be asked (REST, the dashboard, an MCP client without elicitation) leaves the
        // question to whoever answers it elsewhere.
        guard let session = sessions.session(sessionID), session.declares("elicitation") else { return }
        state.withLock {
            $0.pendingInputs[rpcID] = PendingInput(
                taskID: task.id, requestID: requestID, sessionID: sessionID, event: event)
        }
        session.sendOnGetStream(event: event)
    }

    /// Sends `session` the input requests it has not answered yet (its GET stream just opened).
    func redeliverInputs(to session: MCPSession) {
        let events = state.withLock { state in
            state.pendingInputs.values.filter { $0.sessionID == session.id }.map(\.event)
        }
        for event in events { session.sendOnGetStream(event: event) }
    }

    /// The session ended: it can no longer answer. Its tasks' questions stay open for anyone else who may see them
    /// (REST, the dashboard, another client).
    func sessionEnded(_ sessionID: String) {
        state.withLock { state in
            for (id, pending) in state.pendingInputs where pending.sessionID == sessionID {
                state.pendingInputs[id] = nil
            }
        }
    }

    /// Hands a client's answer to the waiting task — only from the session that was asked; others, and unknown
    /// ids, are ignored.
    func deliverInputResponse(id: JSONRPCID, outcome: Result<JSONValue, JSONRPCError>, from session: MCPSession)
        async
    {
        guard state.withLock({ $0.pendingInputs[id]?.sessionID == session.id }) else { return }
        await answer(id, outcome: outcome)
    }

    /// Open input requests (for tests).
    var pendingInputCount: Int { state.withLock { $0.pendingInputs.count } }

    private func answer(_ id: JSONRPCID, outcome: Result<JSONValue, JSONRPCError>) async {
        guard let pending = state.withLock({ $0.pendingInputs.removeValue(forKey: id) }) else { return }
        let response: JSONValue
        switch outcome {
        case .success(let result): response = result
        case .failure(let error): response = ["error": error.json]
        }
        try? await engine.provideInput(taskID: pending.taskID, requestID: pending.requestID, response: response)
    }

    private static func forgetInputs(of taskID: TaskID, in state: inout State) {
        state.pendingInputs = state.pendingInputs.filter { $0.value.taskID != taskID }
    }
}
