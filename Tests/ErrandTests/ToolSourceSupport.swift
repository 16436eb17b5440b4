import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import ErrandTestSupport
import Logging

/// The tools the tool-source tests use: a chatty one, typed ones, a fan-out parent, a restricted one.
struct ToolSourceCatalog {
    let latch = Gate()

    struct Scale: Decodable, Sendable {
        var factor: Int
        var label: String?
    }

    var catalog: Catalog {
        var catalog = Catalog(defaultTaskSupport: .optional)
        let latch = self.latch
        catalog.add(
            Tool(name: "chatty", description: "Logs two lines, waits, logs a third.") { _, context in
                await context.log("first")
                await context.log("careful", level: .warning)
                await latch.wait()
                await context.log("done")
                return .text("ok")
            })
        catalog.add(
            Tool(
                name: "scale", description: "Multiplies 21 by `factor`.",
                inputSchema: .object(["factor": .integer(), "label": .string()], required: ["factor"]),
                arguments: Scale.self
            ) { scale, context in
                .text("\(scale.label ?? "result"): \(21 * scale.factor) (attempt \(context.attempt))")
            })
        catalog.add(
            Tool(name: "fan_out", description: "Runs `scale` twice as child tasks and adds them up.") { _, context in
                let a = try await context.tasks.start("scale", arguments: ["factor": 1])
                let b = try await context.tasks.start("scale", arguments: ["factor": 2])
                let texts = [try await context.tasks.result(of: a), try await context.tasks.result(of: b)]
                return .text(texts.compactMap(\.firstText).joined(separator: "; "))
            })
        catalog.add(
            Tool(name: "parent_waits", description: "Starts `chatty` as a child, then waits.") { _, context in
                _ = try await context.tasks.start("chatty")
                try await Task.sleep(for: .seconds(300))
                return .text("never")
            })
        catalog.add(
            Tool(name: "ask_briefly", description: "Asks, and waits 100 ms at most for an answer.") { _, context in
                let question: JSONValue = [
                    "message": "Quick?",
                    "requestedSchema": ["type": "object", "properties": ["ok": ["type": "boolean"]]],
                ]
                let answer = try await context.requestInput(question, timeout: .milliseconds(100))
                return .text(answer == nil ? "no answer" : "answered")
            })
        catalog.add(
            Tool(name: "where", description: "Says which node runs which attempt.") { _, context in
                .text("\(context.node ?? "-") \(context.attempt)")
            })
        catalog.add(
            Tool(name: "ops_only", description: "Only for the ops team.", allowed: ["ops"]) { _, _ in .text("ops") })
        return catalog
    }
}

extension RESTHarness {
    /// A started harness serving `catalog`.
    static func started(catalog: Catalog, _ configure: (inout ErrandConfiguration) -> Void = { _ in }) async throws
        -> RESTHarness
    {
        var configuration = ErrandConfiguration()
        configuration.publicDirectory = nil
        configure(&configuration)
        let application = ErrandApplication(
            configuration: configuration, catalog: catalog, store: MemoryTaskStore(),
            logger: Logger(label: "tool-source-tests", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await application.start()
        StartedApplications.register(application)
        return RESTHarness(application: application)
    }

    /// Waits for the task to end (REST `?wait=`), returning its result body.
    func result(_ id: String) async -> JSONValue {
        await send("GET", "/api/tasks/\(id)/result?wait=30s").json
    }
}
