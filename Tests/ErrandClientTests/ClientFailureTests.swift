import Errand
import ErrandClient
import ErrandDemo
import Testing

/// A task that ends in a JSON-RPC error (here: its policy's timeout) is a `.failed` outcome, in both eras.
/// (A file of its own: it needs the server's `Tool`, whose module also has a `TaskStatus`.)
@Suite struct ClientFailureTests {
    @Test(arguments: [MCPEra.legacy, .modern]) func aTaskThatTimesOutEndsFailedWithItsError(era: MCPEra) async throws {
        var catalog = DemoCatalog.make()
        catalog.add(
            Tool(name: "stuck", description: "Outlives its timeout", policy: TaskPolicy(timeout: .milliseconds(200))) {
                _, _ in
                try await Task.sleep(for: .seconds(30))
                return .text("never")
            })
        let errand = try await LiveErrand.start(catalog: catalog)
        do {
            let task = try await startTask(errand.client(era), "stuck", [:])
            let outcome = try await task.outcome()
            guard case .failed(let error) = outcome else {
                Issue.record("expected failed, got \(outcome)")
                await errand.stop()
                return
            }
            #expect(error.message.contains("timed out"))
        } catch {
            await errand.stop()
            throw error
        }
        await errand.stop()
    }

}
