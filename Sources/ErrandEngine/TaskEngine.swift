import ErrandProtocol
public import Logging

/// Owns every task: submission, scheduling, execution, cancellation, waiting, TTL reaping.
///
/// The engine keeps the tasks it is working on in memory and writes every change to its ``TaskStore``
/// before publishing it on ``events``; tasks that ended are read back from the store. Work runs on a bounded
/// pool of `maxConcurrentTasks` attempts (priority first, then first in first out). One engine-wide timer
/// serves policy timeouts, retry backoffs, waiter timeouts and the reaper.
///
/// Call ``start()`` once before use (it recovers unfinished tasks and starts the reaper) and ``shutdown()``
/// when done.
public actor TaskEngine {
    enum LifecycleState {
        case idle
        /// ``start()`` is recovering tasks from the store; ``submit(_:)`` and ``cancel(_:for:reason:)`` wait.
        case starting
        case started
        /// ``shutdown()`` began: no new work starts; it waits for the work in flight.
        case shuttingDown
        /// ``shutdown()`` returned: nothing of this engine runs or writes any more.
        case stopped
    }

    /// Every change, fanned out to any number of subscribers.
    public nonisolated let events: EventHub

    let store: any TaskStore
    let runner: any TaskRunner
    let configuration: TaskEngineConfiguration
    let clock: any EngineClock
    let logger: Logger
    let timer: EngineTimer<TimerAction>

    var lifecycle = LifecycleState.idle
    /// Callers waiting for ``start()`` to finish recovering (see ``untilStarted()``).
    var startWaiters: [CheckedContinuation<Void, Never>] = []
    var timerDriver: Task<Void, Never>?
    /// Tasks this engine is working on (see ``ActiveTask``).
    var active: [TaskID: ActiveTask] = [:]
    var runQueue = TaskRunQueue()
    /// Every attempt whose Swift task has not returned yet, by serial: also those of tasks that already ended
    /// (cancelled, timed out) while their work still unwinds, so that ``shutdown()`` can wait for all of them.
    var attempts: [UInt64: Task<Void, Never>] = [:]
    /// Queued submissions per ``TaskOwner/quotaKey`` still awaiting the store, not in ``runQueue`` yet: the
    /// `queuedTasks` limit counts them.
    var pendingQueued: [String: Int] = [:]
    /// Submissions past their first check that have not returned (they may be awaiting the store).
    var submissionsInFlight = 0
    /// ``shutdown()`` waiting for ``submissionsInFlight`` to reach zero.
    var submissionsDrained: [CheckedContinuation<Void, Never>] = []
    /// Attempts executing, including cancelled ones that have not returned yet; the worker slots taken.
    var running = 0
    /// Non-terminal tasks per ``TaskOwner/quotaKey``.
    var activePerOwner: [String: Int] = [:]
    /// Non-terminal tasks over all owners (the sum of ``activePerOwner``): `maxActiveTasks` counts them.
    var activeTotal = 0
    /// Queued submissions over all owners still awaiting the store (the sum of ``pendingQueued``).
    var pendingQueuedTotal = 0
    /// Attempts executing per ``TaskOwner/quotaKey`` (as ``running`` counts them).
    var runningPerOwner: [String: Int] = [:]
    /// The latest limits each owner with active tasks or running attempts submitted with.
    var ownerLimits: [String: OwnerLimits] = [:]
    /// Tasks per status, as this engine has seen them (seeded from the store by `start()`).
    var countsByStatus: [TaskStatus: Int] = [:]
    /// Tasks being deleted right now, so that two deletions never race.
    var deleting: Set<TaskID> = []
    /// Tasks not managed in memory that a cancel is storing, or that a submission is inserting, with the cancels
    /// waiting for that to end.
    var cancellingUnmanaged: [TaskID: [CheckedContinuation<Void, Never>]] = [:]
    var reaping = false
    /// Tasks with logged lines not stored yet (a `.storeLog` timer is armed for each).
    var unstoredLogs: Set<TaskID> = []
    var nextSerial: UInt64 = 0

    /// An engine over `store` that runs work with `runner`.
    /// - Parameters:
    ///   - configuration: limits and defaults (see ``TaskEngineConfiguration``).
    ///   - clock: wall clock for timestamps and TTLs.
    ///   - timerClock: the clock of every delay (policy and waiter timeouts, retry backoffs, store retries, log
    ///     store delays, the reaper); tests pass one they move by hand.
    public init(
        store: any TaskStore, runner: any TaskRunner, configuration: TaskEngineConfiguration = .init(),
        clock: any EngineClock = SystemEngineClock(), timerClock: any Clock<Duration> = ContinuousClock(),
        logger: Logger = Logger(label: "errand.engine")
    ) {
        self.events = EventHub(replayWindow: configuration.replayWindow)
        self.store = store
        self.runner = runner
        self.configuration = configuration
        self.clock = clock
        self.timer = EngineTimer(clock: TimerClock(timerClock))
        self.logger = logger
    }

    /// Counts for metrics and readiness.
    public func statistics() -> TaskStatistics {
        TaskStatistics(byStatus: countsByStatus.filter { $0.value != 0 }, running: running, queued: runQueue.count)
    }

    func makeSerial() -> UInt64 {
        nextSerial += 1
        return nextSerial
    }

    /// Waits while ``start()`` recovers tasks, so that nothing acts on the store's tasks from a snapshot recovery
    /// is about to overwrite (or counts a new task twice).
    func untilStarted() async {
        while lifecycle == .starting { await withCheckedContinuation { startWaiters.append($0) } }
    }

    /// Whether ``shutdown()`` began: no new work starts.
    var isStopping: Bool { lifecycle == .shuttingDown || lifecycle == .stopped }

    /// Starts the timer driver if it is not running.
    func ensureTimer() {
        guard timerDriver == nil, !isStopping else { return }
        let engine = WeakEngine(self)
        timerDriver = Task.detached { [timer] in
            await timer.run { actions in await engine.engine?.timerFired(actions) }
        }
    }

    func schedule(_ action: TimerAction, after delay: Duration) {
        ensureTimer()
        timer.schedule(action, after: delay)
    }

    func timerFired(_ actions: [TimerAction]) async {
        for action in actions {
            switch action {
            case .timeout(let id, let serial): await attemptTimedOut(id, serial: serial)
            case .retry(let id, let ticket): await backoffEnded(id, ticket: ticket)
            case .releaseWaiter(let id, let waiter): releaseWaiter(id, waiter: waiter)
            case .reflush(let id): await flushLogged(id)
            case .storeLog(let id): await storeLog(id)
            case .reap:
                _ = await reapExpired()
                if lifecycle == .started { schedule(.reap, after: configuration.reapInterval) }
            }
        }
    }
}

extension TaskEngine {
    /// What the engine's timer does when a deadline passes.
    enum TimerAction: Sendable, Hashable {
        /// An attempt's policy timeout.
        case timeout(TaskID, serial: UInt64)
        /// A retry backoff ended: queue the task again.
        case retry(TaskID, ticket: UInt64)
        /// A `waitForTerminal` timeout.
        case releaseWaiter(TaskID, waiter: UInt64)
        /// Time to look for expired tasks.
        case reap
        /// Try again to store a task whose last write failed.
        case reflush(TaskID)
        /// Store the lines a task logged since its last write.
        case storeLog(TaskID)
    }
}

extension TaskEngineError {
    static let taskNotFound = TaskEngineError(.notFound, "Task not found")

    static func storage(_ action: String, _ error: any Error) -> TaskEngineError {
        TaskEngineError(.storage, "Could not \(action): the task store failed (\(error))")
    }
}

/// Lets the timer driver reach the engine without keeping it alive.
private final class WeakEngine: Sendable {
    weak let engine: TaskEngine?
    init(_ engine: TaskEngine) { self.engine = engine }
}
