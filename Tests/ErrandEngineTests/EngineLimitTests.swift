import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Testing

/// The engine-wide caps, `maxActiveTasks` and `maxQueuedTasks`: over all owners, so that many owners (without
/// authentication, every MCP session is one) cannot together fill memory.
struct EngineLimitTests {
    /// Expects `.quotaExceeded` naming `limit`.
    static func expectRefusal(_ error: TaskEngineError?, naming limit: String) {
        guard case .quotaExceeded(let retryAfter) = error?.code else {
            Issue.record("expected quotaExceeded, got \(String(describing: error))")
            return
        }
        #expect(retryAfter >= 1)
        #expect(error?.message.contains(limit) == true, "\(String(describing: error))")
    }

    @Test func activeTasksOfAllOwnersAreCapped() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner) { $0.maxActiveTasks = 3 }
        var first: TaskRecord?
        for session in ["a", "b", "c"] {
            let record = try await engine.submit(submission("gate", owner: TaskOwner(session: session)))
            first = first ?? record
        }
        let error = await #expect(throws: TaskEngineError.self) {
            try await engine.submit(submission("gate", owner: TaskOwner(session: "d")))
        }
        Self.expectRefusal(error, naming: "maxActiveTasks")
        // A task that ends frees its place.
        _ = try await engine.cancel(try #require(first).id, for: TaskOwner(session: "a"))
        _ = try await engine.submit(submission("gate", owner: TaskOwner(session: "d")))
        runner.gate.open()
        await engine.shutdown()
    }

    @Test func queuedTasksOfAllOwnersAreCappedButRunningOnesStillStart() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner) {
            $0.maxConcurrentTasks = 1
            $0.maxQueuedTasks = 2
        }
        // `sleep` ends as soon as it is cancelled, freeing its slot; `gate` would hold it until opened.
        let running = try await engine.submit(submission("sleep", owner: TaskOwner(session: "a")))
        #expect(running.status == .working)
        for session in ["b", "c"] {
            #expect(try await engine.submit(submission("gate", owner: TaskOwner(session: session))).status == .queued)
        }
        let error = await #expect(throws: TaskEngineError.self) {
            try await engine.submit(submission("gate", owner: TaskOwner(session: "d")))
        }
        Self.expectRefusal(error, naming: "maxQueuedTasks")
        // Once the running task ends, a queued one starts and the queue has room again.
        _ = try await engine.cancel(running.id, for: TaskOwner(session: "a"))
        #expect(await eventually { await engine.statistics().queued == 1 })
        #expect(try await engine.submit(submission("gate", owner: TaskOwner(session: "d"))).status == .queued)
        runner.gate.open()
        await engine.shutdown()
    }

    @Test func clusterCapsCountTheTasksOfEveryNode() async throws {
        let store = MemoryClusterStore()
        let configure: (inout ClusterEngineConfiguration) -> Void = {
            $0.engine.maxQueuedTasks = 2
            $0.countsMaxAge = .seconds(60)  // the node's own submissions count without a fresh read
        }
        let nodeA = makeNode("A", store: store, slots: 0, configure: configure)
        try await nodeA.start()
        _ = try await nodeA.submit(submission("gate", owner: TaskOwner(session: "a")))
        _ = try await nodeA.submit(submission("gate", owner: TaskOwner(session: "b")))
        let onA = await #expect(throws: TaskEngineError.self) {
            try await nodeA.submit(submission("gate", owner: TaskOwner(session: "c")))
        }
        Self.expectRefusal(onA, naming: "maxQueuedTasks")
        await nodeA.shutdown()

        let active = { (configuration: inout ClusterEngineConfiguration) in
            configuration.engine.maxActiveTasks = 2
            configuration.countsMaxAge = .zero  // read the store's counts at every submission
        }
        let nodeC = makeNode("C", store: store, slots: 0, configure: active)  // sees the tasks node A stored
        try await nodeC.start()
        let onC = await #expect(throws: TaskEngineError.self) {
            try await nodeC.submit(submission("gate", owner: TaskOwner(session: "d")))
        }
        Self.expectRefusal(onC, naming: "maxActiveTasks")
        await nodeC.shutdown()
    }
}
