import ErrandProtocol
import Synchronization

/// Feeds one ``TaskHandle/updates()`` stream: the current status first, then pushed messages and polled
/// snapshots merged, changes only, until a terminal status.
///
/// Polling never stops: at the task's `pollInterval` (clamped by the client's limits) without push, and at
/// ``MCPClientConfiguration/Limits/pollIntervalWithPush`` while a push stream is open. When the push stream
/// ends, the watcher polls at once and from then on at the task's interval.
struct TaskWatcher {
    let handle: TaskHandle
    let output: AsyncThrowingStream<TaskUpdate, any Error>.Continuation

    static let maxReopenings = 8

    private enum Event: Sendable {
        case push(PushMessage)
        case pushEnded
        case pollDue
    }

    /// What the poller reads: whether push is on, and the task's own interval.
    private final class Pacing: Sendable {
        private let state: Mutex<(pushing: Bool, interval: Duration)>
        init(pushing: Bool, interval: Duration) { state = Mutex((pushing, interval)) }
        var pushing: Bool {
            get { state.withLock { $0.pushing } }
            set { state.withLock { $0.pushing = newValue } }
        }
        var interval: Duration {
            get { state.withLock { $0.interval } }
            set { state.withLock { $0.interval = newValue } }
        }
    }

    /// The last status sent, to send changes only; the questions already sent.
    private struct Seen {
        var status: TaskStatus?
        var statusMessage: String?
        var inputKeys: Set<String> = []
    }

    func run() async {
        let client = handle.client
        let limits = client.configuration.limits
        let (events, feed) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(512))
        let pacing = Pacing(pushing: false, interval: limits.minimumPollInterval * 4)
        /// Subscribes to push and relays it into `events`; `nil` when the server offers none.
        let subscribe = { () async -> (reader: Task<Void, Never>, cancel: @Sendable () -> Void)? in
            guard let pushed = await client.pushMessages(for: handle.id) else { return nil }
            pacing.pushing = true
            let reader = Task {
                for await message in pushed.stream { feed.yield(.push(message)) }
                pacing.pushing = false
                feed.yield(.pushEnded)
            }
            return (reader, pushed.cancel)
        }
        var push = await subscribe()
        /// How often a push stream that ended (an idle timeout, a server restart) is opened again.
        var reopenings = Self.maxReopenings
        let poller = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: pacing.pushing ? limits.pollIntervalWithPush : pacing.interval)
                feed.yield(.pollDue)
            }
        }
        defer {
            push?.reader.cancel()
            push?.cancel()
            poller.cancel()
            feed.finish()
        }
        var seen = Seen()
        do {
            if try emit(try await handle.status(), &seen, pacing) { return }
            for await event in events {
                try Task.checkCancellation()
                switch event {
                case .pollDue:
                    if try emit(try await handle.status(), &seen, pacing) { return }
                case .pushEnded:
                    // Poll at once (a change may have been missed), then listen again while allowed.
                    if try emit(try await handle.status(), &seen, pacing) { return }
                    push?.cancel()
                    push = nil
                    if reopenings > 0 {
                        reopenings -= 1
                        push = await subscribe()
                    }
                case .push(.snapshot(let snapshot)):
                    if try emit(snapshot, &seen, pacing) { return }
                case .push(.progress(let progress)):
                    output.yield(.progress(progress))
                case .push(.log(let line)):
                    output.yield(.log(line))
                case .push(.input(let request)):
                    if seen.inputKeys.insert(request.key).inserted { output.yield(.inputRequested(request)) }
                }
            }
            output.finish()
        } catch {
            output.finish(throwing: error)
        }
    }

    /// Sends `snapshot` if it says something new (and its new questions); returns whether the task ended (and
    /// the stream with it).
    private func emit(_ snapshot: TaskSnapshot, _ seen: inout Seen, _ pacing: Pacing) throws -> Bool {
        let limits = handle.client.configuration.limits
        if let interval = snapshot.pollIntervalMs {
            pacing.interval = min(
                max(.milliseconds(interval), limits.minimumPollInterval), limits.maximumPollInterval)
        }
        if snapshot.status != seen.status || snapshot.statusMessage != seen.statusMessage {
            seen.status = snapshot.status
            seen.statusMessage = snapshot.statusMessage
            output.yield(.status(snapshot))
        }
        for (key, request) in snapshot.inputRequests.sorted(by: { $0.key < $1.key })
        where seen.inputKeys.insert(key).inserted {
            output.yield(
                .inputRequested(
                    InputRequest(
                        taskID: snapshot.taskID, channel: .update(key: key),
                        method: request["method"]?.stringValue ?? "elicitation/create",
                        params: request["params"] ?? [:])))
        }
        if snapshot.status.isTerminal {
            output.finish()
            return true
        }
        return false
    }
}
