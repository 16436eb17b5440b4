import ErrandHTTP
import Testing

/// The harness's own promise: what a test starts is stopped when it ends, and a forgotten trait is caught.
@Suite(.shutsDownApplications) struct StartedApplicationsTests {
    @Test func anApplicationIsShutDownWhenItsScopeEnds() async throws {
        let started = StartedApplications()
        let app = try await StartedApplications.$current.withValue(started) { try await TestApplication() }
        let readiness = HTTPRequest(method: "GET", target: "/readyz", headers: TestApplication.jsonHeaders)
        #expect(await app.send(readiness).status == 200)
        await started.shutDownAll()
        #expect(await app.send(readiness).status == 503)
    }

    @Test func startingOutsideAScopeIsRecorded() {
        withKnownIssue {
            StartedApplications.$current.withValue(nil) { StartedApplications.register {} }
        }
    }
}
