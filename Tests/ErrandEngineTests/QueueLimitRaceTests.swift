import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Testing

@Suite struct QueueLimitRaceTests {
    @Test(.timeLimit(.minutes(1))) func concurrentSubmissionsOfOneOwnerNeverExceedItsQueuedLimit() async throws {
        let runner = ScriptedRunner()
        let store = GatedStore()
        let engine = makeEngine(runner: runner, store: store) { $0.maxConcurrentTasks = 1 }
        var alice = submission("gate", owner: TaskOwner(principal: "alice"))
        alice.limits = OwnerLimits(queuedTasks: 2)
        let first = try await engine.submit(alice)
        #expect(first.status == .working)

        store.inserts.arm()  // every further submission waits in the store after its limit check
        let refused = Counter()
        let submits = (0..<5).map { _ in
            Task { [alice] () -> TaskRecord? in
                do {
                    return try await engine.submit(alice)
                } catch {
                    refused.increment()
                    return nil
                }
            }
        }
        #expect(await eventually { store.inserts.arrived.value + refused.value == 5 })
        #expect(store.inserts.arrived.value == 2)
        #expect(refused.value == 3)
        store.inserts.release()
        var accepted: [TaskRecord] = []
        for submit in submits { if let record = await submit.value { accepted.append(record) } }
        #expect(accepted.count == 2 && accepted.allSatisfy { $0.status == .queued })
        #expect(await engine.statistics().queued == 2)

        runner.gate.open()
        for record in [first] + accepted {
            #expect(try await terminal(engine, record.id, owner: alice.owner).status == .completed)
        }
    }
}
