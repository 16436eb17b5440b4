import Errand
import ErrandDemo
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Logging
import Testing

/// `subscriptions/listen` on a serve-only node A pushes `notifications/tasks` for a task worker W runs: the
/// notifications come from the engine's events, which carry changes made on other nodes.
@Suite(.shutsDownApplications) struct ModernMCPClusterTests {
    @Test func listenOnNodeASeesATaskRunningOnWorkerW() async throws {
        let store = MemoryClusterStore()
        let logger = Logger(label: "cluster-test", factory: { _ in SwiftLogNoOpLogHandler() })
        var configuration = ErrandConfiguration()
        configuration.publicDirectory = nil
        let catalog = DemoCatalog.make()
        let nodeA = ErrandApplication(configuration: configuration, catalog: catalog, logger: logger) { runner in
            var serveOnly = ClusterEngineConfiguration()
            serveOnly.engine.maxConcurrentTasks = 0
            return ClusterEngine(store: store, runner: runner, node: "a", configuration: serveOnly)
        }
        try await nodeA.start()
        StartedApplications.register(nodeA)
        var workerConfiguration = ClusterEngineConfiguration()
        workerConfiguration.engine.maxConcurrentTasks = 2
        let worker = ClusterEngine(
            store: store, runner: CatalogRunner(catalog: catalog, logger: logger), node: "w",
            configuration: workerConfiguration)
        try await worker.start()
        StartedApplications.register { await worker.shutdown() }
        let app = TestApplication(running: nodeA)

        let created = await ModernMCPTests().send(
            app, "tools/call", ["name": "approve_deployment", "arguments": ["service": "edge"]])
        let id = try #require(created.bodyJSON?["result"]?["taskId"])
        let listen = await ModernMCPTests().send(app, "subscriptions/listen", ["notifications": ["taskIds": [id]]])
        guard case .eventStream(let stream) = listen.body else { throw TestFailure("listen did not stream") }
        _ = try await TestApplication.nextMessage(on: stream, method: "notifications/subscriptions/acknowledged")
        let asking = try await TestApplication.nextMessage(on: stream, method: "notifications/tasks") {
            $0["params"]?["status"] == "input_required"
        }
        let key = try #require(asking["params"]?["inputRequests"]?.objectValue?.keys.first)
        // Answered on node A; the handler waiting on worker W continues.
        let update = await ModernMCPTests().send(
            app, "tasks/update",
            ["taskId": id, "inputResponses": .object([key: ["action": "accept", "content": ["approve": true]]])])
        #expect(update.bodyJSON?["result"] == ["resultType": "complete"])
        let done = try await TestApplication.nextMessage(on: stream, method: "notifications/tasks") {
            $0["params"]?["status"] == "completed"
        }
        #expect(done["params"]?["result"]?["content"]?[0]?["text"] == "deployed edge")
        stream.cancel()
        await worker.shutdown()
        await nodeA.shutdown()
    }
}

extension TestApplication {
    /// Drives an application that is already started.
    init(running app: ErrandApplication) { self.app = app }
}
