import ErrandProtocol
import Synchronization

/// What a push stream told one task's watcher.
enum PushMessage: Sendable {
    case snapshot(TaskSnapshot)
    case progress(TaskProgress)
    case log(TaskLogLine)
    case input(InputRequest)
}

/// Routes the messages of a 2025-11-25 session's GET stream to the watchers of the task each one is about:
/// `notifications/tasks/status` by `taskId`; progress by the call's progress token (or `related-task`);
/// `notifications/message` and `elicitation/create` by `_meta["io.modelcontextprotocol/related-task"]`.
final class LegacyPushHub: Sendable {
    private struct State {
        var watchers: [UInt64: (task: String, continuation: AsyncStream<PushMessage>.Continuation)] = [:]
        var nextWatcher: UInt64 = 0
        /// Progress tokens of calls this client started, to their task ids (bounded: oldest dropped).
        var progressTokens: [String: String] = [:]
        var tokenOrder: [String] = []
        /// Questions that arrived while nobody watched their task, for the next watcher (oldest dropped).
        var unclaimed: [(task: String, message: PushMessage)] = []
    }

    private static let maxUnclaimedQuestions = 64

    private static let maxTrackedTokens = 1_024
    private static let maxBufferedMessages = 256
    private let state = Mutex(State())

    func track(progressToken: String, task: String) {
        state.withLock { state in
            state.progressTokens[progressToken] = task
            state.tokenOrder.append(progressToken)
            if state.tokenOrder.count > Self.maxTrackedTokens {
                state.progressTokens[state.tokenOrder.removeFirst()] = nil
            }
        }
    }

    /// The messages about `task` from now on, until ``endAll()`` or `cancel`.
    func watch(_ task: String) -> (stream: AsyncStream<PushMessage>, cancel: @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream<PushMessage>.makeStream(
            bufferingPolicy: .bufferingNewest(Self.maxBufferedMessages))
        let number = state.withLock { state -> UInt64 in
            state.nextWatcher += 1
            state.watchers[state.nextWatcher] = (task, continuation)
            for question in state.unclaimed where question.task == task { continuation.yield(question.message) }
            state.unclaimed.removeAll { $0.task == task }
            return state.nextWatcher
        }
        let cancel: @Sendable () -> Void = { [weak self] in
            let removed = self?.state.withLock { $0.watchers.removeValue(forKey: number) }
            removed?.continuation.finish()
        }
        continuation.onTermination = { _ in cancel() }
        return (stream, cancel)
    }

    /// Ends every watcher's stream (the push stream is gone; watchers poll instead).
    func endAll() {
        let watchers = state.withLock { state in
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.continuation.finish() }
    }

    /// Hands `message` to the watchers of its task; a question nobody watches yet is kept for the next
    /// watcher of its task (a server may send it as soon as the stream opens). Returns whether the message was
    /// about a task.
    @discardableResult
    func deliver(_ message: JSONRPCMessage) -> Bool {
        guard let (task, push) = route(message) else { return false }
        let targets = state.withLock { state in
            let targets = state.watchers.values.filter { $0.task == task }.map(\.continuation)
            if targets.isEmpty, case .input = push {
                state.unclaimed.append((task, push))
                if state.unclaimed.count > Self.maxUnclaimedQuestions { state.unclaimed.removeFirst() }
            }
            return targets
        }
        for target in targets { target.yield(push) }
        return true
    }

    private func route(_ message: JSONRPCMessage) -> (String, PushMessage)? {
        let relatedTask = { (params: JSONValue?) in
            params?["_meta"]?["io.modelcontextprotocol/related-task"]?["taskId"]?.stringValue
        }
        switch message {
        case .notification("notifications/tasks/status", let params?):
            guard let snapshot = try? TaskSnapshot(json: params) else { return nil }
            return (snapshot.taskID, .snapshot(snapshot))
        case .notification("notifications/progress", let params?):
            let token = params["progressToken"].map { $0.stringValue ?? $0.description }
            let task = relatedTask(params) ?? token.flatMap { token in state.withLock { $0.progressTokens[token] } }
            guard let task, let progress = params["progress"]?.doubleValue else { return nil }
            return (
                task,
                .progress(
                    TaskProgress(
                        progress: progress, total: params["total"]?.doubleValue,
                        message: params["message"]?.stringValue))
            )
        case .notification("notifications/message", let params?):
            guard let task = relatedTask(params) else { return nil }
            let text = params["data"]?.stringValue ?? params["data"]?.description ?? ""
            return (task, .log(TaskLogLine(level: params["level"]?.stringValue ?? "info", text: text)))
        case .request(let id, let method, let params?):
            guard let task = relatedTask(params) else { return nil }
            return (task, .input(InputRequest(taskID: task, channel: .response(id), method: method, params: params)))
        default:
            return nil
        }
    }
}
