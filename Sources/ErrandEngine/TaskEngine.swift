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
        case started
        case shuttingDown
    }

    /// Every change, fanned out to any number of subscribers.
    public nonisolated let events: EventHub

    let store: any TaskStore
    let runner: any TaskRunner
    let configuration: TaskEngineConfiguration
    let clock: any EngineClock
    let logger: Logger
    let timer = EngineTimer<TimerAction>()

    var lifecycle = LifecycleState.idle
    var timerDriver: Task<Void, Never>?
    /// Tasks this engine is working on (see ``ActiveTask``).
    var active: [TaskID: ActiveTask] = [:]
    var runQueue = TaskRunQueue()
    /// Attempts executing, including cancelled ones that have not returned yet; the worker slots taken.
    var running = 0
    /// Non-terminal tasks per ``TaskOwner/quotaKey``.
    var activePerOwner: [String: Int] = [:]
    /// Attempts executing per ``TaskOwner/quotaKey`` (as ``running`` counts them).
    var runningPerOwner: [String: Int] = [:]
    /// The latest limits each owner with active tasks or running attempts submitted with.
    var ownerLimits: [String: OwnerLimits] = [:]
    /// Tasks per status, as this engine has seen them (seeded from the store by `start()`).
    var countsByStatus: [TaskStatus: Int] = [:]
    /// Tasks being deleted right now, so that two deletions never race.
    var deleting: Set<TaskID> = []
    var reaping = false
    var nextSerial: UInt64 = 0

    /// An engine over `store` that runs work with `runner`.
    /// - Parameters:
    ///   - configuration: limits and defaults (see ``TaskEngineConfiguration``).
    ///   - clock: wall clock for timestamps and TTLs; timeouts and backoffs use `ContinuousClock`.
    public init(
        store: any TaskStore, runner: any TaskRunner, configuration: TaskEngineConfiguration = .init(),
        clock: any EngineClock = SystemEngineClock(), logger: Logger = Logger(label: "errand.engine")
    ) {
        self.events = EventHub(replayWindow: configuration.replayWindow)
        self.store = store
        self.runner = runner
        self.configuration = configuration
        self.clock = clock
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

    /// Starts the timer driver if it is not running.
    func ensureTimer() {
        guard timerDriver == nil, lifecycle != .shuttingDown else { return }
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
