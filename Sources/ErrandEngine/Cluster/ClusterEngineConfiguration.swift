/// Limits and timings of a ``ClusterEngine``.
public struct ClusterEngineConfiguration: Sendable {
    /// The limits and defaults a ``TaskEngine`` has, with these meanings on a node:
    /// - `maxConcurrentTasks`: this node's worker slots (attempts it runs at once); 0 makes a serve-only node that
    ///   never claims work.
    /// - `maxActiveTasksPerOwner`: checked at submit against the shared database; soft across nodes (two nodes
    ///   submitting at the same moment may both pass the check).
    /// - `defaultOwnerLimits` and ``TaskSubmission/limits``: stored per owner in the shared database and applied by
    ///   every node's claims (`concurrentTasks`) and submits (`queuedTasks`, soft across nodes); see
    ///   ``ClusterEngine/submit(_:)``.
    /// - TTL bounds, `defaultPollIntervalMs`, `reapInterval` and `replayWindow`: as for ``TaskEngine``.
    public var engine: TaskEngineConfiguration
    /// How long a claimed attempt's lease lasts without renewal. The node renews its leases every third of it;
    /// other nodes take a task over once its lease has ended, looking every half of it (with jitter), and write
    /// their heartbeat with each look. Default 30 s.
    public var leaseDuration: Duration = .seconds(30)
    /// How often a node with free slots looks for runnable work even when no signal woke it (signals may be lost).
    /// Default 1 s.
    public var pollInterval: Duration = .seconds(1)
    /// How often the tasks that local ``ClusterEngine/waitForTerminal(_:for:timeout:)`` calls wait for are read
    /// again from the store, should their terminal signal have been lost. Default 2 s.
    public var waiterRecheckInterval: Duration = .seconds(2)
    /// Most tasks one lease takeover pass takes back. Default 100.
    public var reclaimBatchSize: Int = 100
    /// Tasks whose last state this node remembers, to publish `.deleted` for tasks other nodes delete (the record is
    /// gone from the store by then) and to skip publishing a state twice. Also the most tasks whose signalled change
    /// could not be read are kept to be read again; past that the node re-reads every task it remembers instead.
    /// Default 10,000.
    public var rememberedTasks: Int = 10_000
    /// How long ``ClusterEngine/statistics()`` reuses the store's counts. Default 1 s.
    public var countsMaxAge: Duration = .seconds(1)

    /// A configuration with `engine`'s limits and the default timings.
    public init(engine: TaskEngineConfiguration = .init()) {
        self.engine = engine
    }

    /// The lease length in milliseconds (at least 1).
    var leaseMs: Int64 {
        let (seconds, attoseconds) = leaseDuration.components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
