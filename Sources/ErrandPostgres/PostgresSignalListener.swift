import ErrandEngine
import Logging
import PostgresNIO
import Synchronization

/// Holds one dedicated connection that `LISTEN`s on the store's channel and fans the signals out to the nodes
/// that subscribed, leaving out each node's own. When the connection drops it reconnects with exponential
/// backoff (100 ms doubling up to 5 s) and yields ``ClusterSignal/resynchronize`` to every subscriber.
final class PostgresSignalListener: Sendable {
    private struct Subscriber {
        var node: String
        var continuation: AsyncStream<ClusterSignal>.Continuation
    }

    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
        var task: Task<Void, Never>?
        var stopped = false
    }

    private let configuration: PostgresConnection.Configuration
    private let channel: String
    private let logger: Logger
    private let state = Mutex(State())

    init(configuration: PostgresConnection.Configuration, channel: String, logger: Logger) {
        self.configuration = configuration
        self.channel = channel
        self.logger = logger
    }

    /// Connects and starts listening; returns once the first `LISTEN` is in place, so no signal sent after it
    /// returns is missed. - Throws: ``PostgresClusterStoreError/database(_:)`` if the first connection fails.
    func start() async throws(PostgresClusterStoreError) {
        let ready = AsyncStream<Result<Void, PostgresClusterStoreError>>.makeStream()
        let task = Task { await self.run(ready: ready.continuation) }
        state.withLock { $0.task = task }
        for await result in ready.stream {
            if case .failure(let error) = result {
                task.cancel()
                throw error
            }
            return
        }
        throw .closed
    }

    /// Stops listening and finishes every subscriber's stream.
    func stop() async {
        let (task, subscribers) = state.withLock { state in
            state.stopped = true
            defer { state.subscribers = [:] }
            return (state.task, Array(state.subscribers.values))
        }
        task?.cancel()
        await task?.value
        for subscriber in subscribers { subscriber.continuation.finish() }
    }

    /// A stream of the signals other nodes send (`node` is already sanitized).
    func subscribe(node: String) -> AsyncStream<ClusterSignal> {
        let (stream, continuation) = ClusterSignal.makeBoundedStream()
        let added: Int? = state.withLock { state in
            guard !state.stopped else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = Subscriber(node: node, continuation: continuation)
            return id
        }
        guard let id = added else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    private func run(ready: AsyncStream<Result<Void, PostgresClusterStoreError>>.Continuation) async {
        var failures = 0
        var listenedBefore = false
        var connectionID = 0
        while !Task.isCancelled {
            connectionID += 1
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: connectionID, logger: logger)
                do {
                    try await connection.listen(on: channel) { notifications in
                        if listenedBefore {
                            logger.notice("listening for cluster signals again; resynchronizing")
                            broadcast(.resynchronize)
                        } else {
                            ready.yield(.success(()))
                            ready.finish()
                        }
                        listenedBefore = true
                        failures = 0
                        for try await notification in notifications { deliver(notification.payload) }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { break }
                if !listenedBefore {
                    ready.yield(.failure(PostgresClusterStore.mapped(error)))
                    ready.finish()
                    return
                }
                logger.warning("lost the cluster signal connection", metadata: ["error": "\(error)"])
            }
            failures += 1
            let delay = Duration.milliseconds(min(5000, 100 << min(failures - 1, 6)))
            try? await Task.sleep(for: delay)
        }
        ready.finish()
    }

    private func deliver(_ payload: String) {
        // Most notifications a node hears are its own (every write it commits): skip them before decoding.
        let origin = payload.utf8.prefix { $0 != UInt8(ascii: "|") }
        let anyoneElse = state.withLock { state in
            state.subscribers.values.contains { !$0.node.utf8.elementsEqual(origin) }
        }
        guard anyoneElse else { return }
        guard let (origin, signal) = ClusterSignalPayload.decode(payload) else {
            logger.debug("ignored a foreign notification", metadata: ["payload": "\(payload.prefix(100))"])
            return
        }
        let targets = state.withLock { state in state.subscribers.values.filter { $0.node != origin } }
        for target in targets { target.continuation.yieldOrResynchronize(signal) }
    }

    private func broadcast(_ signal: ClusterSignal) {
        let targets = state.withLock { Array($0.subscribers.values) }
        for target in targets { target.continuation.yieldOrResynchronize(signal) }
    }
}
