import Foundation
import Testing

@testable import ErrandClient

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// 2025-11-25: a session the server ended (restart, expiry, DELETE) answers 404; the client starts a new one and
/// goes on, and a task handle keeps working across it.
@Suite struct SessionRecoveryTests {
    @Test func aSessionTheServerEndedIsReplacedAndTheTaskFollowedOn() async throws {
        try await withErrand { errand in
            let client = errand.client(.legacy)
            let task = try await startTask(client, "sleep", ["seconds": 0.3])
            let first = try #require(await client.sessionID)
            var delete = URLRequest(url: errand.url)
            delete.httpMethod = "DELETE"
            delete.setValue(first, forHTTPHeaderField: "Mcp-Session-Id")
            let (_, response) = try await URLSession.shared.data(for: delete)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            guard case .completed(let result) = try await task.outcome() else {
                Issue.record("the task should complete across the new session")
                return
            }
            #expect(result.text == "slept 0.3")
            let second = try #require(await client.sessionID)
            #expect(second != first)
            await client.close()
        }
    }
}
