/// The leases one node holds on attempts of one target, as a cluster store reports them
/// (``ClusterStore/leaseHoldings()``).
public struct LeaseHolding: Sendable, Hashable {
    /// The node holding the leases.
    public var node: String
    /// The tool (or other target) of the tasks.
    public var target: String
    /// How many attempts it holds.
    public var count: Int
    /// When the first of these leases ends (epoch milliseconds).
    public var earliestUntilMs: Int64
    /// When the last of these leases ends: its latest renewal plus the lease length.
    public var latestUntilMs: Int64

    public init(node: String, target: String, count: Int, earliestUntilMs: Int64, latestUntilMs: Int64) {
        self.node = node
        self.target = target
        self.count = count
        self.earliestUntilMs = earliestUntilMs
        self.latestUntilMs = latestUntilMs
    }
}

extension ClusterStore {
    /// The default for stores that keep no lease holders to report: none.
    public func leaseHoldings() async throws -> [LeaseHolding] { [] }
}

/// One node as the dashboard shows it (`GET /api/cluster`).
public struct NodeReport: Sendable, Hashable {
    /// The node's name (``ClusterEngine/node``), or `"local"` for a single server.
    public var name: String
    /// Whether it is the node that answered.
    public var isSelf: Bool
    /// Its worker slots, when known (the answering node's).
    public var workerSlots: Int?
    /// Tasks waiting for its worker slots, when known (a single server's queue).
    public var queueDepth: Int?
    /// Attempts it runs, per tool.
    public var running: [String: Int]
    /// When it last renewed its leases (epoch milliseconds), if it holds any.
    public var lastRenewedAtMs: Int64?
    /// When its first lease ends, if it holds any.
    public var earliestLeaseEndMs: Int64?
    /// Whether it renews its leases on time (a node that stopped has leases about to lapse or lapsed).
    public var isRenewing: Bool

    public init(
        name: String, isSelf: Bool, workerSlots: Int? = nil, queueDepth: Int? = nil, running: [String: Int] = [:],
        lastRenewedAtMs: Int64? = nil, earliestLeaseEndMs: Int64? = nil, isRenewing: Bool = true
    ) {
        self.name = name
        self.isSelf = isSelf
        self.workerSlots = workerSlots
        self.queueDepth = queueDepth
        self.running = running
        self.lastRenewedAtMs = lastRenewedAtMs
        self.earliestLeaseEndMs = earliestLeaseEndMs
        self.isRenewing = isRenewing
    }

    /// Attempts it runs, over every tool.
    public var leases: Int { running.values.reduce(0, +) }
}
