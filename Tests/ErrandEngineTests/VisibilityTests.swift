import ErrandEngine
import ErrandProtocol
import ErrandTestSupport
import Synchronization
import Testing

@Suite struct VisibilityTests {
    static let alice = TaskOwner(principal: "alice", team: "red", session: "s-alice")
    static let bob = TaskOwner(principal: "bob", team: "red", session: "s-bob")
    static let carol = TaskOwner(principal: "carol", team: "blue", session: "s-carol")
    static let loner = TaskOwner(principal: "dave", session: "s-dave")
    static let nobody = TaskOwner(session: "s-anon")

    @Test(
        "who may access a task",
        arguments: [
            (TaskOwner(session: "x"), nobody, true),  // open mode: anyone with the id
            (TaskOwner(session: "x"), alice, true),
            (alice, alice, true),  // same principal
            (alice, TaskOwner(principal: "alice", session: "other"), true),
            (alice, bob, true),  // same team
            (alice, carol, false),  // other team
            (alice, nobody, false),  // unauthenticated requester
            (loner, TaskOwner(principal: "eve"), false),  // neither has a team: nil teams never match
            (TaskOwner(principal: "x", team: nil), TaskOwner(principal: "y", team: nil), false),
        ])
    func access(owner: TaskOwner, requester: TaskOwner, allowed: Bool) {
        #expect(requester.mayAccess(owner) == allowed)
    }

    @Test func foreignTasksLookExactlyLikeUnknownOnes() async throws {
        let runner = ScriptedRunner()
        let engine = makeEngine(runner: runner)
        let record = try await engine.submit(submission("gate", owner: Self.alice))
        #expect(try await engine.task(record.id, for: Self.bob).id == record.id)
        var errors: [TaskEngineError] = []
        for id in [record.id, TaskID.random()] {
            do { _ = try await engine.task(id, for: Self.carol) } catch { errors.append(error) }
            do { _ = try await engine.cancel(id, for: Self.carol) } catch { errors.append(error) }
            do { try await engine.delete(id, for: Self.carol) } catch { errors.append(error) }
        }
        #expect(errors.count == 6)
        #expect(errors.allSatisfy { $0 == TaskEngineError(.notFound, "Task not found") })
        runner.gate.open()
        _ = try await terminal(engine, record.id, owner: Self.alice)
        do { _ = try await engine.task(record.id, for: Self.carol) } catch { #expect(error.code == .notFound) }
    }
}

@Suite struct ListTests {
    /// Seeds: 5 tasks in session a (alice), 3 in session b (bob, same team), 2 open ones, 1 of carol.
    func seeded() async throws -> (TaskEngine, ManualClock) {
        let clock = ManualClock()
        let engine = makeEngine(clock: clock)
        let owners =
            Array(repeating: VisibilityTests.alice, count: 5) + Array(repeating: VisibilityTests.bob, count: 3)
            + [TaskOwner(session: "open"), TaskOwner(session: "open"), VisibilityTests.carol]
        for owner in owners {
            let record = try await engine.submit(submission("instant", owner: owner))
            _ = try await terminal(engine, record.id, owner: owner)
            clock.advance(byMs: 10)
        }
        return (engine, clock)
    }

    @Test func sessionScopeListsOnlyThatSessionNewestFirst() async throws {
        let (engine, _) = try await seeded()
        let page = try await engine.list(TaskListQuery(scope: .session("s-alice")), for: VisibilityTests.alice)
        #expect(page.tasks.count == 5)
        #expect(page.tasks.allSatisfy { $0.owner.session == "s-alice" })
        #expect(page.tasks.map(\.createdAt) == page.tasks.map(\.createdAt).sorted(by: >))
        #expect(page.nextCursor == nil)
        // Another team's requester sees nothing of that session.
        let foreign = try await engine.list(TaskListQuery(scope: .session("s-alice")), for: VisibilityTests.carol)
        #expect(foreign.tasks.isEmpty)
    }

    @Test func visibleScopeFollowsTheAccessRule() async throws {
        let (engine, _) = try await seeded()
        let alice = try await engine.list(TaskListQuery(scope: .visible), for: VisibilityTests.alice)
        #expect(alice.tasks.count == 10)  // team red (8) + open (2)
        let carol = try await engine.list(TaskListQuery(scope: .visible), for: VisibilityTests.carol)
        #expect(carol.tasks.count == 3)
        let anonymous = try await engine.list(TaskListQuery(scope: .visible), for: .anonymous)
        #expect(anonymous.tasks.count == 2)
    }

    @Test func pagesWalkEveryTaskOnceWithKeysetCursors() async throws {
        let (engine, _) = try await seeded()
        var seen: [TaskRecord] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await engine.list(
                TaskListQuery(scope: .visible, cursor: cursor, limit: 3), for: VisibilityTests.alice)
            #expect(page.tasks.count <= 3)
            seen += page.tasks
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 4)
        #expect(seen.count == 10)
        #expect(Set(seen.map(\.id)).count == 10)
        #expect(seen.map(\.createdAt) == seen.map(\.createdAt).sorted(by: >))
        // A page that ends exactly at the last task has no cursor.
        let exact = try await engine.list(TaskListQuery(scope: .visible, limit: 10), for: VisibilityTests.alice)
        #expect(exact.tasks.count == 10 && exact.nextCursor == nil)
    }

    @Test func filtersByStatusTargetAndCreationTime() async throws {
        let (engine, clock) = try await seeded()
        let failed = try await engine.submit(submission("fail", owner: VisibilityTests.alice))
        _ = try await terminal(engine, failed.id, owner: VisibilityTests.alice)
        let byStatus = try await engine.list(
            TaskListQuery(scope: .visible, statuses: [.failed]), for: VisibilityTests.alice)
        #expect(byStatus.tasks.map(\.id) == [failed.id])
        let byTarget = try await engine.list(TaskListQuery(scope: .visible, target: "fail"), for: VisibilityTests.bob)
        #expect(byTarget.tasks.map(\.id) == [failed.id])
        let recent = try await engine.list(
            TaskListQuery(scope: .visible, createdAfter: clock.nowMs() - 25), for: VisibilityTests.alice)
        #expect(recent.tasks.count == 2)  // the failed one and the last open one
        let older = try await engine.list(
            TaskListQuery(scope: .visible, createdBefore: clock.nowMs() - 100), for: VisibilityTests.alice)
        #expect(older.tasks.count == 1)
    }

    @Test(arguments: ["", "garbage", "12", ".abc", "-5.abc", "1.a b", "x.abc"])
    func invalidCursorsAreRejected(cursor: String) async throws {
        let engine = makeEngine()
        let error = await #expect(throws: TaskEngineError.self) {
            try await engine.list(TaskListQuery(scope: .visible, cursor: cursor), for: .anonymous)
        }
        #expect(error == TaskEngineError(.invalidCursor, "Invalid cursor"))
    }

    @Test func pageSizeIsClamped() async throws {
        let (engine, _) = try await seeded()
        let zero = try await engine.list(TaskListQuery(scope: .visible, limit: 0), for: VisibilityTests.alice)
        #expect(zero.tasks.count == 1 && zero.nextCursor != nil)
        let huge = try await engine.list(TaskListQuery(scope: .visible, limit: 1_000_000), for: VisibilityTests.alice)
        #expect(huge.tasks.count == 10)
    }
}
