/// A node's sign of life in a cluster store: every node writes one at start and with each lease renewal round
/// (every third of a lease), whether or not it runs anything, and removes it when it stops cleanly. The dashboard's
/// cluster view lists the nodes from these, so an idle worker shows too, and one that stopped writing shows as such.
public struct NodeHeartbeat: Sendable, Hashable {
    /// The node's name (``ClusterEngine/node``).
    public var node: String
    /// Its worker slots (0 for a serve-only node).
    public var workerSlots: Int
    /// Attempts it was running when it wrote this.
    public var running: Int
    /// When it wrote this (epoch milliseconds, the node's clock).
    public var seenAtMs: Int64

    public init(node: String, workerSlots: Int, running: Int, seenAtMs: Int64) {
        self.node = node
        self.workerSlots = workerSlots
        self.running = running
        self.seenAtMs = seenAtMs
    }
}

extension ClusterStore {
    /// The default for stores that keep no heartbeats: nothing is stored.
    public func recordHeartbeat(_ heartbeat: NodeHeartbeat) async throws {}

    /// The default for stores that keep no heartbeats: none.
    public func heartbeats(seenAfterMs: Int64) async throws -> [NodeHeartbeat] { [] }

    /// The default for stores that keep no heartbeats: nothing to remove.
    public func removeHeartbeat(node: String) async throws {}
}
