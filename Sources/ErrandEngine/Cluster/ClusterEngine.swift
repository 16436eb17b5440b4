import ErrandProtocol
public import Logging

/// A task engine that shares its tasks with other nodes through a ``ClusterStore`` (PostgreSQL in production):
/// any node accepts, shows, cancels and waits for any task, and whichever node has a free worker slot runs it.
///
/// Work is claimed from the store under a lease with a fencing token (see ``ClusterStore``): the node renews its
/// leases every third of ``ClusterEngineConfiguration/leaseDuration``, and when a node stops, the others take its
/// tasks over once their leases end — queued again while the retry policy allows another attempt, else failed.
/// Scheduling is as on a ``TaskEngine``, across the cluster: priority, then round-robin across owners, each owner
/// within its ``OwnerLimits`` (see ``ClusterStore/claim(node:limit:nowMs:leaseMs:)`` and ``submit(_:)`` for where
/// a limit is soft across nodes). `EngineParityTests` run the same behaviour cases against both engines.
///
/// ``events`` carries every change this node made (published after the store accepted it) and every change other
/// nodes announced (published as the task is when this node reads it, so a burst of remote progress may arrive as
/// one event). A node with `maxConcurrentTasks` 0 is serve-only: it never claims work.
///
/// Call ``start()`` once before use and ``shutdown()`` when done.
public actor ClusterEngine {
    enum LifecycleState {
        case idle
        case started
        case shuttingDown
    }

    /// What the engine's timer does when a deadline passes.
    enum TimerAction: Sendable, Hashable {
        /// An attempt's policy timeout.
        case timeout(TaskID, serial: UInt64)
        /// A `waitForTerminal` timeout.
        case releaseWaiter(TaskID, waiter: UInt64)
        /// A retry backoff this node set ended: claim.
        case wake
        /// The fallback poll for runnable work.
        case poll
        case renewLeases
        case reclaimLeases
        /// Re-read what local waiters and attempts waiting for input wait for, should a signal have been lost.
        case recheck
        case reap
        /// Store the lines an attempt logged since its last write.
        case storeLog(TaskID, serial: UInt64)
    }

    /// Every change this node made or learned of, fanned out to any number of subscribers.
    public nonisolated let events: EventHub
    /// This node's name: lease holder and signal origin. Unique in the cluster.
    public nonisolated let node: String
    /// Attempts this node runs at once (`maxConcurrentTasks`; 0: serve-only).
    public nonisolated var workerSlots: Int { max(0, configuration.engine.maxConcurrentTasks) }

    let store: any ClusterStore
    let runner: any TaskRunner
    let configuration: ClusterEngineConfiguration
    let clock: any EngineClock
    let logger: Logger
    let timer: EngineTimer<TimerAction>

    var lifecycle = LifecycleState.idle
    var timerDriver: Task<Void, Never>?
    var signalListener: Task<Void, Never>?
    /// Attempts this node runs, including stopped ones whose Swift task has not returned yet.
    var attempts: [TaskID: ClusterAttempt] = [:]
    /// Worker slots taken: `attempts.count`.
    var running: Int { attempts.count }
    var claiming = false
    /// Slots held by submissions whose insert may start the task here (``ImmediateStart``).
    var heldSlots = 0
    /// Whether something woke the claim loop while a claim was in flight.
    var claimAgain = false
    /// Whether runnable work may wait in the store, so that a freed slot should claim (``slotFreed()``).
    var workMayWait = true
    var claimEndWaiters: [CheckedContinuation<Void, Never>] = []
    /// Local `waitForTerminal` calls, per task.
    var waiters: [TaskID: [UInt64: TerminalWaiter]] = [:]
    var remembered: RememberedTasks
    /// Tasks other nodes changed whose change could not be read (a failed batch read): the next ``recheck()``
    /// reads them again rather than dropping the change. At most ``ClusterEngineConfiguration/rememberedTasks``;
    /// past that, a full resynchronisation is due instead (``keepUnsynced(_:)``).
    var unsyncedTasks: Set<TaskID> = []
    /// A full resynchronisation (every remembered task) is due: signals were dropped, too many signalled tasks
    /// could not be read, or the last one failed.
    var fullResyncDue = false
    var cachedCounts: (counts: [TaskStatus: Int], at: Duration)?
    /// Whether ``statistics()`` is reading the counts from the store.
    var countingTasks = false
    var reaping = false
    /// Lease handling after the store was unreachable: see ``reclaimExpiredLeases()``.
    var leaseRecovery = LeaseRecovery()
    /// Since when the store has not answered this node's lease, takeover and claim calls (nil: it answers).
    var storeUnreachableSince: Int64?
    var nextSerial: UInt64 = 0
    /// The limits this node last wrote for each owner (``ClusterStore/setOwnerLimits(_:ownerKey:)``).
    var storedOwnerLimits: [String: OwnerLimits] = [:]

    /// An engine for node `node` over the shared `store`, running work with `runner`.
    /// - Parameters:
    ///   - node: this node's name, unique in the cluster (e.g. host name and process id).
    ///   - configuration: limits and timings (see ``ClusterEngineConfiguration``).
    ///   - clock: wall clock for timestamps, TTLs, leases and retry times.
    ///   - timerClock: the clock of every delay (timers, the final write's retry backoff, the statistics cache);
    ///     tests pass one they move by hand.
    public init(
        store: any ClusterStore, runner: any TaskRunner, node: String,
        configuration: ClusterEngineConfiguration = .init(), clock: any EngineClock = SystemEngineClock(),
        timerClock: any Clock<Duration> = ContinuousClock(), logger: Logger = Logger(label: "errand.cluster")
    ) {
        self.events = EventHub(replayWindow: configuration.engine.replayWindow)
        self.store = store
        self.runner = runner
        self.node = node
        self.configuration = configuration
        self.clock = clock
        self.timer = EngineTimer(clock: TimerClock(timerClock))
        var logger = logger
        logger[metadataKey: "node"] = "\(node)"
        self.logger = logger
        self.remembered = RememberedTasks(capacity: configuration.rememberedTasks)
    }

    func makeSerial() -> UInt64 {
        nextSerial += 1
        return nextSerial
    }

    /// Worker slots free for a claim: those neither running an attempt nor held by a submission that may start
    /// its task at once (``submit(_:)``).
    var freeSlots: Int { workerSlots - running - heldSlots }

    func schedule(_ action: TimerAction, after delay: Duration) {
        guard lifecycle != .shuttingDown else { return }
        if timerDriver == nil {
            let engine = WeakClusterEngine(self)
            timerDriver = Task.detached { [timer] in
                await timer.run { actions in await engine.engine?.timerFired(actions) }
            }
        }
        timer.schedule(action, after: delay)
    }

    func timerFired(_ actions: [TimerAction]) async {
        for action in actions {
            switch action {
            case .timeout(let id, let serial): await attemptTimedOut(id, serial: serial)
            case .releaseWaiter(let id, let waiter): releaseWaiter(id, waiter: waiter)
            case .wake: await claimRunnable()
            case .storeLog(let id, let serial): await storeLog(id, serial: serial)
            case .poll:
                await claimRunnable()
                repeatWhileStarted(.poll, every: configuration.pollInterval)
            case .renewLeases:
                // No heartbeat here: each takeover round writes one (timed, to detect an outage), often enough.
                await renewLeases()
                repeatWhileStarted(.renewLeases, every: configuration.leaseDuration / 3)
            case .reclaimLeases:
                _ = await reclaimExpiredLeases()
                repeatWhileStarted(
                    .reclaimLeases, every: configuration.leaseDuration / 2 * Double.random(in: 0.8...1.2))
            case .recheck:
                await recheck()
                repeatWhileStarted(.recheck, every: configuration.waiterRecheckInterval)
            case .reap:
                _ = await reapExpired()
                repeatWhileStarted(.reap, every: configuration.engine.reapInterval)
            }
        }
    }

    private func repeatWhileStarted(_ action: TimerAction, every interval: Duration) {
        if lifecycle == .started { schedule(action, after: interval) }
    }
}

/// Lets the timer driver and the signal listener reach the engine without keeping it alive.
final class WeakClusterEngine: Sendable {
    weak let engine: ClusterEngine?
    init(_ engine: ClusterEngine) { self.engine = engine }
}

extension ClusterEngine: TaskService {}
