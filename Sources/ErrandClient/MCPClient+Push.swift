import ErrandProtocol
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Push streams: the 2025-11-25 session's GET stream (shared by every watcher of this client) and a 2026-07-28
/// `subscriptions/listen` stream per watched task.
extension MCPClient {
    /// The GET stream's state.
    enum PushStreamState {
        case closed
        case opening(Task<Bool, Never>)
        case open(Task<Void, Never>)
        /// The server offers no GET stream (405, or not an event stream): watchers poll.
        case refused
    }

    /// The pushed messages about `task`, or `nil` when the server offers no push (the caller polls). The stream
    /// ends when the push channel closes.
    func pushMessages(for task: String) async -> (stream: AsyncStream<PushMessage>, cancel: @Sendable () -> Void)? {
        guard configuration.usesPush, let server = try? await connect() else { return nil }
        switch server.era {
        case .legacy:
            // Watch first: the server may send what it holds for this task the moment the stream opens.
            let watch = push.watch(task)
            guard await openGetStream() else {
                watch.cancel()
                return nil
            }
            return watch
        case .modern:
            return await listen(to: task)
        }
    }

    /// Opens the session's GET stream unless it is open; returns whether it is.
    private func openGetStream() async -> Bool {
        switch pushStream {
        case .open: return true
        case .refused: return false
        case .opening(let opening): return await opening.value
        case .closed: break
        }
        let opening = Task { await self.startGetStream() }
        pushStream = .opening(opening)
        return await opening.value
    }

    private func startGetStream() async -> Bool {
        var request = baseRequest(timeout: configuration.limits.streamIdleTimeout)
        request.httpMethod = "GET"
        request.setValue("text/event-stream", forHTTPHeaderField: "Accept")
        if let sessionID { request.setValue(sessionID, forHTTPHeaderField: "Mcp-Session-Id") }
        if let server { request.setValue(server.protocolVersion, forHTTPHeaderField: "MCP-Protocol-Version") }
        let response = try? await transport.send(request)
        guard let response, response.status == 200, response.isEventStream else {
            // Only "no GET stream here" (405, or 200 without an event stream) is for good; anything else (a
            // session that ended, a network error) is tried again by the next watcher.
            let refused = response.map { $0.status == 405 || $0.status == 200 } ?? false
            response?.cancel()
            pushStream = refused ? .refused : .closed
            return false
        }
        let messages = Self.messages(of: response, limits: configuration.limits)
        let reader = Task { [weak self] in
            do {
                for try await message in messages { await self?.handleServerMessage(message) }
            } catch {}
            await self?.getStreamEnded()
        }
        pushStream = .open(reader)
        return true
    }

    /// The GET stream closed (the server ended it, or it idled out): watchers fall back to polling, and the next
    /// watcher opens a new one.
    private func getStreamEnded() {
        if case .open = pushStream { pushStream = .closed }
        push.endAll()
    }

    func closePushStream() {
        if case .open(let reader) = pushStream { reader.cancel() }
        if case .refused = pushStream { return }
        pushStream = .closed
        push.endAll()
    }

    /// `subscriptions/listen` for one task: `notifications/tasks` as snapshots until the server ends the stream.
    /// `nil` when the server does not offer it (FastMCP answers 404).
    private func listen(to task: String) async -> (stream: AsyncStream<PushMessage>, cancel: @Sendable () -> Void)? {
        let id = JSONRPCID.int(nextID())
        let params = modernParams(["notifications": ["taskIds": [.string(task)]]], declaresTasks: true)
        guard
            let response = try? await post(
                .request(id: id, method: "subscriptions/listen", params: params), era: .modern,
                method: "subscriptions/listen", timeout: configuration.limits.streamIdleTimeout)
        else { return nil }
        guard response.status == 200, response.isEventStream else {
            response.cancel()
            return nil
        }
        let messages = Self.messages(of: response, limits: configuration.limits)
        let (stream, continuation) = AsyncStream<PushMessage>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let reader = Task {
            do {
                for try await message in messages {
                    switch message {
                    case .notification("notifications/subscriptions/acknowledged", let params):
                        // A task the server would not follow (unknown, not ours): no push for it.
                        let honoured = params?["notifications"]?["taskIds"]?.arrayValue ?? []
                        if !honoured.contains(.string(task)) { continuation.finish() }
                    case .notification("notifications/tasks", let params?):
                        if let snapshot = try? TaskSnapshot(json: params), snapshot.taskID == task {
                            continuation.yield(.snapshot(snapshot))
                        }
                    case .result(id, _), .error(id, _):
                        continuation.finish()
                    default:
                        break
                    }
                }
            } catch {}
            continuation.finish()
        }
        continuation.onTermination = { _ in
            reader.cancel()
            response.cancel()
        }
        return (stream, { continuation.finish() })
    }
}
