import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Testing

/// `/api/events` streams are routed by who may see a task; a stream keeps the identity it was opened with.
@Suite(.shutsDownApplications) struct RESTEventRoutingTests {
    static func taskIDs(_ events: [JSONValue]) -> Set<String> {
        Set(events.compactMap { $0["task"]?["id"]?.stringValue })
    }

    @Test func afterATokenReloadNewStreamsSeeTheNewTeamAndOpenStreamsKeepTheirs() async throws {
        let harness = try await AuthHarness.started()
        let before = try #require(await harness.send("GET", "/api/events", as: "bob").stream)
        _ = await RESTEventTests.next(before)
        // Bob joins alice's team "chem".
        try AuthHarness.write(
            """
            {"principals": [\(AuthHarness.entry("alice", #", "team": "chem""#)), \
            \(AuthHarness.entry("bob", #", "team": "chem""#))]}
            """, to: harness.tokensPath)
        #expect(harness.app.reloadAuthentication())
        let after = try #require(await harness.send("GET", "/api/events", as: "bob").stream)
        _ = await RESTEventTests.next(after)

        let alices = await harness.send(
            "POST", "/api/tools/sleep/call?task=true", as: "alice", body: #"{"seconds": 0}"#)
        let afterSaw = await RESTEventTests.events(after, until: "completed")
        #expect(Self.taskIDs(afterSaw) == [alices.taskID])

        // The stream opened before the reload was opened as bob without a team: alice's task never reaches it,
        // and bob's own next task does, first.
        let bobs = await harness.send("POST", "/api/tools/sleep/call?task=true", as: "bob", body: #"{"seconds": 0}"#)
        let beforeSaw = await RESTEventTests.events(before, until: "completed")
        #expect(Self.taskIDs(beforeSaw) == [bobs.taskID])
        before.cancel()
        after.cancel()
    }
}
