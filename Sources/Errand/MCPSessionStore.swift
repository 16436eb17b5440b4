import Synchronization

/// The live sessions, by id. Idle sessions expire after ``idleTimeoutMs``.
final class MCPSessionStore: Sendable {
    private let sessions = Mutex<[String: MCPSession]>([:])
    let idleTimeoutMs: Int64
    let maxSessions: Int

    init(idleTimeoutMs: Int64, maxSessions: Int) {
        self.idleTimeoutMs = idleTimeoutMs
        self.maxSessions = maxSessions
    }

    /// Adds a session; `false` when the store is full.
    func insert(_ session: MCPSession) -> Bool {
        sessions.withLock { sessions in
            guard sessions.count < maxSessions else { return false }
            sessions[session.id] = session
            return true
        }
    }

    func session(_ id: String) -> MCPSession? { sessions.withLock { $0[id] } }

    /// Removes and closes a session; `false` if it did not exist.
    @discardableResult
    func remove(_ id: String) -> Bool {
        guard let session = sessions.withLock({ $0.removeValue(forKey: id) }) else { return false }
        session.close()
        return true
    }

    var count: Int { sessions.withLock { $0.count } }

    var all: [MCPSession] { sessions.withLock { Array($0.values) } }

    /// Closes sessions idle for longer than the timeout and without an open GET stream; returns their ids.
    func expireIdle(nowMs: Int64) -> [String] {
        let expired = sessions.withLock { sessions -> [MCPSession] in
            let stale = sessions.values.filter { nowMs - $0.lastActivityMs > idleTimeoutMs && !$0.hasGetStream }
            for session in stale { sessions[session.id] = nil }
            return stale
        }
        for session in expired { session.close() }
        return expired.map(\.id)
    }
}
