public import Errand
import ErrandProtocol

/// The seeds' scenarios as real async tools that report progress and stop when cancelled.
public enum ScenarioTools {
    public static let all: [Tool] = [analyzeMolecules, deepResearch, runTests, approveDeployment]

    /// Molecular property analysis: `count` molecules through several models, in batches.
    public static let analyzeMolecules = Tool(
        name: "analyze_molecules", title: "Analyze molecules",
        description:
            "Score `count` molecules with each model (solubility, toxicity, binding); reports progress per batch.",
        inputSchema: .object(
            [
                "count": .integer(description: "Molecules to analyze", minimum: 1, maximum: 1_000_000, default: 2000),
                "models": .array(
                    items: .string(enumeration: ["solubility", "toxicity", "binding"]),
                    description: "Models to run (default: all three)", maxItems: 3),
                "batch_delay_ms": .integer(
                    description: "Simulated model latency per batch of 100", minimum: 0, maximum: 10_000, default: 20),
            ]),
        taskSupport: .optional, pollIntervalMs: 1000
    ) { arguments, context in
        let count = try arguments.int("count", default: 2000)
        let delay = try arguments.int("batch_delay_ms", default: 20)
        let models =
            arguments["models"]?.arrayValue?.compactMap(\.stringValue) ?? ["solubility", "toxicity", "binding"]
        let batches = (count + 99) / 100
        let total = Double(batches * models.count)
        var summary: [String: JSONValue] = [:]
        for (modelIndex, model) in models.enumerated() {
            var best = (score: -1.0, molecule: 0)
            for batch in 0..<batches {
                try Task.checkCancellation()
                for molecule in (batch * 100)..<min(count, batch * 100 + 100) {
                    let score = Self.score(molecule: molecule, model: model)
                    if score > best.score { best = (score, molecule) }
                }
                let done = Double(modelIndex * batches + batch + 1)
                await context.progress(
                    done, total: total, message: "\(model): \(min(count, (batch + 1) * 100))/\(count) molecules")
                if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
            }
            summary[model] = ["best_molecule": .string("MOL-\(best.molecule)"), "score": .double(best.score)]
        }
        return .structured(["molecules": .int(Int64(count)), "models": .object(summary)])
    }

    /// Deep research: several agents through planning, searching, reading and synthesis.
    public static let deepResearch = Tool(
        name: "deep_research", title: "Deep research",
        description: "Research `topic` with `agents` parallel agents in stages; returns a short report.",
        inputSchema: .object(
            [
                "topic": .string(description: "What to research"),
                "agents": .integer(description: "Research agents", minimum: 1, maximum: 16, default: 3),
                "stage_ms": .integer(description: "Time per stage", minimum: 0, maximum: 60_000, default: 300),
            ], required: ["topic"]),
        taskSupport: .optional
    ) { arguments, context in
        let topic = try arguments.string("topic")
        let agents = try arguments.int("agents", default: 3)
        let stageMs = try arguments.int("stage_ms", default: 300)
        let stages = ["planning"] + (1...agents).map { "agent \($0) searching" } + ["reading sources", "synthesizing"]
        for (index, stage) in stages.enumerated() {
            await context.progress(Double(index), total: Double(stages.count), message: stage)
            await context.log("\(stage): \(topic)")
            try await Task.sleep(for: .milliseconds(stageMs))
        }
        await context.progress(Double(stages.count), total: Double(stages.count), message: "report ready")
        let findings = (1...agents).map { "- Agent \($0): \(Self.finding(topic: topic, agent: $0))" }
        return .text("Research report on \(topic)\n" + findings.joined(separator: "\n"))
    }

    /// A test suite whose failures show in the status message while it runs.
    public static let runTests = Tool(
        name: "run_tests", title: "Run tests",
        description: "Run a suite of `tests` tests (every `fail_every`-th fails); failures show while it runs.",
        inputSchema: .object(
            [
                "suite": .string(description: "Suite name", default: "all"),
                "tests": .integer(description: "Number of tests", minimum: 1, maximum: 100_000, default: 50),
                "fail_every": .integer(description: "Every n-th test fails (0: none)", minimum: 0, default: 7),
                "test_ms": .integer(description: "Time per test", minimum: 0, maximum: 60_000, default: 20),
            ]),
        taskSupport: .optional
    ) { arguments, context in
        let suite = (try? arguments.string("suite")) ?? "all"
        let count = try arguments.int("tests", default: 50)
        let failEvery = try arguments.int("fail_every", default: 7)
        let testMs = try arguments.int("test_ms", default: 20)
        var failures: [JSONValue] = []
        await context.log("running \(count) tests of suite \(suite)")
        for number in 1...count {
            if testMs > 0 { try await Task.sleep(for: .milliseconds(testMs)) }
            if failEvery > 0, number % failEvery == 0 {
                failures.append(.string("\(suite)::test_\(number)"))
                await context.log("FAILED \(suite)::test_\(number): expected 42, got \(number)", level: .warning)
            }
            let last = failures.last?.stringValue.map { ", last failure: \($0)" } ?? ""
            await context.progress(
                Double(number), total: Double(count),
                message: "\(number)/\(count) run, \(failures.count) failed\(last)")
        }
        return .structured([
            "suite": .string(suite), "passed": .int(Int64(count - failures.count)),
            "failed": .int(Int64(failures.count)), "failures": .array(failures),
        ])
    }

    /// Asks the user to approve before "deploying": shows the `input_required` round trip (elicitation).
    public static let approveDeployment = Tool(
        name: "approve_deployment", title: "Approve a deployment",
        description: "Asks the client (elicitation) to approve deploying `service`, then deploys or stops.",
        inputSchema: .object(["service": .string(description: "Service to deploy")], required: ["service"]),
        taskSupport: .optional
    ) { arguments, context in
        let service = try arguments.string("service")
        let answer = try await context.requestInput([
            "mode": "form",
            "message": .string("Deploy \(service) to production?"),
            "requestedSchema": [
                "type": "object", "properties": ["approve": ["type": "boolean", "title": "Approve"]],
                "required": ["approve"],
            ],
        ])
        if let error = answer["error"]?["message"]?.stringValue {
            throw ToolError("Could not ask for approval: \(error)")
        }
        guard answer["action"]?.stringValue == "accept", answer["content"]?["approve"]?.boolValue == true else {
            return .text("deployment of \(service) not approved")
        }
        await context.progress(1, total: 2, message: "deploying \(service)")
        try await Task.sleep(for: .milliseconds(200))
        return .text("deployed \(service)")
    }

    /// A deterministic pseudo-score in [0, 1) for a molecule under a model.
    static func score(molecule: Int, model: String) -> Double {
        var hash: UInt64 = 1_469_598_103_934_665_603
        for byte in model.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        hash = (hash ^ UInt64(molecule)) &* 1_099_511_628_211
        hash ^= hash >> 29
        return Double(hash % 1_000_000) / 1_000_000
    }

    static func finding(topic: String, agent: Int) -> String {
        let angles = ["prior work", "open questions", "key numbers", "competing views", "recent results"]
        return "\(angles[(agent - 1) % angles.count]) on \(topic)"
    }
}
