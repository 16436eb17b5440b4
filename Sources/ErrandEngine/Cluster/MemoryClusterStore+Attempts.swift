public import ErrandProtocol
import Synchronization

/// Fenced writes, leases, input requests and signals.
extension MemoryClusterStore {
    public func write(_ record: TaskRecord, lease: TaskLease, change: ClusterChange, runAfterMs: Int64?) async throws
        -> Bool
    {
        state.withLock { state in
            guard record.id == lease.taskID, let row = state.fencedRow(lease), let holder = row.lease?.node else {
                return false
            }
            state.rows[record.id]?.record = record
            if record.status == .queued {
                state.rows[record.id]?.runAfterMs = runAfterMs ?? .min
                state.endAttempt(record.id)
            } else if record.status.isTerminal {
                state.endAttempt(record.id)
            }
            state.send(.changed(record.id, change, status: record.status), from: holder)
            if record.status == .queued { state.send(.wake, from: holder) }
            return true
        }
    }

    public func renew(node: String, leases: [TaskLease], untilMs: Int64) async throws -> Set<TaskID> {
        state.withLock { state in
            var lost: Set<TaskID> = []
            for lease in leases {
                guard let row = state.fencedRow(lease), row.lease?.node == node else {
                    lost.insert(lease.taskID)
                    continue
                }
                state.rows[lease.taskID]?.lease?.untilMs = untilMs
            }
            return lost
        }
    }

    public func openInputRequest(_ record: TaskRecord, lease: TaskLease, requestID: String, request: JSONValue)
        async throws -> Bool
    {
        state.withLock { state in
            guard record.id == lease.taskID, let row = state.fencedRow(lease), let holder = row.lease?.node else {
                return false
            }
            state.rows[record.id]?.record = record
            state.inputs[record.id, default: [:]][requestID] = MemoryClusterState.InputRequest(request: request)
            state.send(.changed(record.id, .inputRequested(requestID: requestID), status: record.status), from: holder)
            return true
        }
    }

    public func inputRequest(taskID: TaskID, requestID: String) async throws -> JSONValue? {
        state.withLock { state in
            guard let open = state.inputs[taskID]?[requestID], open.answer == nil else { return nil }
            return open.request
        }
    }

    public func answerInputRequest(taskID: TaskID, requestID: String, response: JSONValue, origin: String)
        async throws -> Bool
    {
        state.withLock { state in
            guard let open = state.inputs[taskID]?[requestID], open.answer == nil else { return false }
            state.inputs[taskID]?[requestID]?.answer = response
            state.send(.inputAnswered(taskID, requestID: requestID), from: origin)
            return true
        }
    }

    /// Takes the answer of an answered request and removes the request; an unanswered request stays open (`nil`).
    public func takeInputAnswer(taskID: TaskID, requestID: String) async throws -> JSONValue? {
        state.withLock { state in
            guard let answer = state.inputs[taskID]?[requestID]?.answer else { return nil }
            state.inputs[taskID]?[requestID] = nil
            if state.inputs[taskID]?.isEmpty == true { state.inputs[taskID] = nil }
            return answer
        }
    }

    public func signals(node: String) -> AsyncStream<ClusterSignal> {
        let (stream, continuation) = ClusterSignal.makeBoundedStream()
        let id = state.withLock { state in
            state.nextSubscriberID += 1
            state.subscribers[state.nextSubscriberID] = MemoryClusterState.Subscriber(
                node: node, continuation: continuation)
            return state.nextSubscriberID
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in state.subscribers[id] = nil }
        }
        return stream
    }

    // MARK: Faults, for tests

    /// Ends every signal stream, as closing a PostgreSQL store does.
    public func close() {
        let subscribers = state.withLock { state in
            defer { state.subscribers = [:] }
            return state.subscribers.values
        }
        for subscriber in subscribers { subscriber.continuation.finish() }
    }

    /// Sends ``ClusterSignal/resynchronize`` to every subscriber, as a store does after its connection came back.
    public func resynchronize() {
        state.withLock { state in
            for subscriber in state.subscribers.values { subscriber.continuation.yield(.resynchronize) }
        }
    }

    /// Drops (`true`) or delivers again (`false`) the signals meant for `node`: a lost `LISTEN` connection.
    public func dropSignals(to node: String, _ drop: Bool = true) {
        state.withLock { state in
            if drop { state.deaf.insert(node) } else { state.deaf.remove(node) }
        }
    }

    /// The node holding `id`'s lease and until when, or `nil` if no attempt holds it.
    public func lease(of id: TaskID) -> (node: String, untilMs: Int64, fence: Int64)? {
        state.withLock { state in
            state.rows[id]?.lease.map { ($0.node, $0.untilMs, $0.fence) }
        }
    }
}
