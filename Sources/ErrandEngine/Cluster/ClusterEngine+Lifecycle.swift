import ErrandProtocol
import Logging

extension ClusterEngine {
    /// Joins the cluster: listens for other nodes' signals, starts the timers (claim poll, lease renewal, lease
    /// takeover, waiter re-checks, reaper), takes over tasks whose leases ended, and claims work if this node has
    /// worker slots. Call once; later calls do nothing.
    /// - Throws: ``TaskEngineError`` `.storage` if the store cannot be read (the engine stays unstarted).
    public func start() async throws {
        guard lifecycle == .idle else { return }
        do {
            cachedCounts = (try await store.counts(), timer.clock.now)
        } catch {
            throw TaskEngineError.storage("reach the cluster store", error)
        }
        guard lifecycle == .idle else { return }
        lifecycle = .started
        let signals = store.signals(node: node)
        let engine = WeakClusterEngine(self)
        signalListener = Task.detached {
            // Signals that arrive while a batch is handled wait and are handled together, with one read.
            await SignalInbox.batches(of: signals) { batch in
                guard let engine = engine.engine else { return false }
                await engine.handle(batch)
                return true
            }
        }
        schedule(.poll, after: configuration.pollInterval)
        schedule(.renewLeases, after: configuration.leaseDuration / 3)
        schedule(.reclaimLeases, after: configuration.leaseDuration / 2 * Double.random(in: 0.8...1.2))
        schedule(.recheck, after: configuration.waiterRecheckInterval)
        schedule(.reap, after: configuration.engine.reapInterval)
        _ = await reclaimExpiredLeases()
        await claimRunnable()
        await recordHeartbeat()
        logger.info("cluster node started", metadata: ["workerSlots": "\(workerSlots)"])
    }

    /// Leaves the cluster: stops claiming (``submit(_:)`` throws `.shuttingDown`), cancels the running attempts and
    /// waits for them to return, releases waiters, and stops the timers and the signal listener.
    ///
    /// A cancelled attempt's failure is not written: the task stays `working` under this node's lease, which is
    /// no longer renewed, and another node takes it over once the lease ends (queued again or failed, as its retry
    /// policy says). A completed result that arrives during shutdown is stored.
    public func shutdown() async {
        guard lifecycle != .shuttingDown else { return }
        lifecycle = .shuttingDown
        timer.stop()
        timerDriver?.cancel()
        timerDriver = nil
        signalListener?.cancel()
        signalListener = nil
        if claiming { await withCheckedContinuation { claimEndWaiters.append($0) } }
        var tasks: [Task<Void, Never>] = []
        for id in attempts.keys {
            if let task = attempts[id]?.task { tasks.append(task) }
            stopAttempt(id)
        }
        releaseAllWaiters()
        for task in tasks { await task.value }
        do {
            try await store.removeHeartbeat(node: node)  // the cluster view stops listing it
        } catch {
            logger.warning("could not remove this node's heartbeat", metadata: ["error": "\(error)"])
        }
        logger.info("cluster node stopped", metadata: ["cancelledAttempts": "\(tasks.count)"])
    }

    /// Counts for metrics and readiness: tasks per status in the whole cluster (read at most
    /// ``ClusterEngineConfiguration/countsMaxAge`` ago; `queued` includes tasks waiting out a retry backoff) and the
    /// attempts this node runs.
    ///
    /// One read at a time: while a read is in flight, other callers (every submission checks the cluster's caps)
    /// get the counts read before, so a burst of submissions sends one count to the store, not one each.
    public func statistics() async -> TaskStatistics {
        var counts = cachedCounts?.counts ?? [:]
        let stale = cachedCounts.map { timer.clock.now - $0.at > configuration.countsMaxAge } ?? true
        if stale, !countingTasks || cachedCounts == nil {
            countingTasks = true
            defer { countingTasks = false }
            do {
                counts = try await store.counts()
                cachedCounts = (counts, timer.clock.now)
            } catch {
                logger.error("could not count tasks", metadata: ["error": "\(error)"])
            }
        }
        return TaskStatistics(byStatus: counts.filter { $0.value != 0 }, running: running, queued: counts[.queued] ?? 0)
    }

    /// Deletes terminal tasks whose ttl has passed (never one a local caller waits for) and publishes `.deleted`
    /// for each. Every node's reaper calls this every `reapInterval`; each task is deleted by one node.
    /// - Returns: how many tasks this node deleted.
    public func reapExpired() async -> Int {
        guard !reaping else { return 0 }
        reaping = true
        defer { reaping = false }
        let batchSize = 1000
        var total = 0
        while lifecycle != .shuttingDown {
            let expired: [TaskRecord]
            let deleted: [TaskRecord]
            do {
                expired = try await store.expired(nowMs: clock.nowMs(), limit: batchSize)
                let doomed = expired.filter { waiters[$0.id] == nil }.map(\.id)
                guard !doomed.isEmpty else { return total }
                deleted = try await store.delete(doomed, origin: node)
            } catch {
                logger.error("could not delete expired tasks", metadata: ["error": "\(error)"])
                return total
            }
            for record in deleted { publish(.deleted, record) }
            total += deleted.count
            if expired.count < batchSize { return total }
        }
        return total
    }
}
