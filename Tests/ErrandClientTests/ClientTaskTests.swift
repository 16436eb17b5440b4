import ErrandClient
import ErrandProtocol
import ErrandTestSupport
import Foundation
import Testing

/// The client library against a live Errand, in both eras: start, follow, wait, cancel, answer, resume.
@Suite struct ClientTaskTests {
    static let eras: [MCPEra] = [.legacy, .modern]

    @Test func negotiationPicksTheModernEraFromErrandAndFallsBackWhenAsked() async throws {
        try await withErrand { errand in
            let automatic = errand.client(nil)
            let described = try await automatic.connect()
            #expect(described.era == .modern)
            #expect(described.supportsTasks)
            let legacy = try await errand.client(.legacy).connect()
            #expect(legacy.era == .legacy)
            #expect(legacy.protocolVersion == "2025-11-25")
            #expect(legacy.supportsTaskList)
        }
    }

    @Test(arguments: eras) func plainCallAndToolList(era: MCPEra) async throws {
        try await withErrand { errand in
            let client = errand.client(era)
            let tools = try await client.listTools().map(\.name)
            #expect(tools.contains("slow_computation"))
            let result = try await client.callTool("echo", arguments: ["text": "hello"])
            #expect(result.text == "hello")
            #expect(!result.isError)
            await client.close()
        }
    }

    @Test(arguments: eras) func aTaskReportsItsStatusesAndEndsWithItsResult(era: MCPEra) async throws {
        // The task ends only once the test has seen it working: no race with a fast tool on a busy machine.
        let release = Gate()
        try await withErrand(catalog: LiveErrand.catalog(holdingUntil: release)) { errand in
            let client = errand.client(era)
            let task = try await startTask(client, "held", [:])
            #expect(task.created?.status == .working)
            var statuses: [TaskStatus] = []
            for try await update in task.updates() {
                guard case .status(let snapshot) = update else { continue }
                statuses.append(snapshot.status)
                if snapshot.status == .working { release.open() }
            }
            #expect(statuses.first == .working)
            #expect(statuses.last == .completed)
            let outcome = try await task.outcome()
            guard case .completed(let result) = outcome else {
                Issue.record("expected completed, got \(outcome)")
                return
            }
            #expect(result.text == "slept 0.2")
            await client.close()
        }
    }

    @Test func legacyPushCarriesProgress() async throws {
        try await withErrand { errand in
            let client = errand.client(.legacy)
            let task = try await startTask(client, "slow_computation", ["duration": 2])
            var progress: [TaskProgress] = []
            for try await update in task.updates() {
                if case .progress(let step) = update { progress.append(step) }
            }
            #expect(progress.last?.total == 2)
            #expect(progress.contains { $0.message == "step 2/2" })
            await client.close()
        }
    }

    @Test(arguments: eras) func pollingAloneFollowsATaskToItsEnd(era: MCPEra) async throws {
        try await withErrand { errand in
            let client = errand.client(era, push: false)
            let task = try await startTask(client, "sleep", ["seconds": 0.3])
            let outcome = try await task.outcome()
            #expect(
                outcome
                    == .completed(
                        ToolResult(json: ["content": [["type": "text", "text": "slept 0.3"]], "isError": false])))
        }
    }

    @Test(arguments: eras) func aToolErrorIsACompletedOutcomeWithIsError(era: MCPEra) async throws {
        try await withErrand { errand in
            let client = errand.client(era)
            let task = try await startTask(client, "fail", ["message": "boom"])
            guard case .completed(let result) = try await task.outcome() else {
                Issue.record("a tool error should come back as a result with isError")
                return
            }
            #expect(result.isError)
            #expect(result.text.contains("boom"))
        }
    }

    @Test(arguments: eras) func cancellingEndsTheTaskCancelled(era: MCPEra) async throws {
        try await withErrand { errand in
            let client = errand.client(era)
            let task = try await startTask(client, "sleep", ["seconds": 30])
            try await task.cancel()
            let outcome = try await task.outcome()
            guard case .cancelled = outcome else {
                Issue.record("expected cancelled, got \(outcome)")
                return
            }
        }
    }

    @Test(arguments: eras) func anotherClientResumesATaskByItsID(era: MCPEra) async throws {
        try await withErrand { errand in
            let first = errand.client(era)
            let started = try await startTask(first, "sleep", ["seconds": 0.3])
            await first.close()
            let second = errand.client(era)
            let resumed = second.task(started.id)
            #expect(try await resumed.status().taskID == started.id)
            guard case .completed(let result) = try await resumed.outcome() else {
                Issue.record("the resumed task should complete")
                return
            }
            #expect(result.text == "slept 0.3")
        }
    }

    @Test(arguments: eras) func aQuestionIsAnsweredAndTheTaskGoesOn(era: MCPEra) async throws {
        try await withErrand { errand in
            let client = errand.client(era)
            let task = try await startTask(client, "approve_deployment", ["service": "api"])
            var asked: InputRequest?
            var last: TaskSnapshot?
            for try await update in task.updates() {
                switch update {
                case .inputRequested(let request):
                    asked = request
                    #expect(request.message == "Deploy api to production?")
                    try await task.answer(request, with: ["action": "accept", "content": ["approve": true]])
                case .status(let snapshot): last = snapshot
                default: break
                }
            }
            #expect(asked != nil)
            let terminal = try #require(last)
            guard case .completed(let result) = try await task.outcome(of: terminal) else {
                Issue.record("the approved deployment should complete")
                return
            }
            #expect(result.text == "deployed api")
        }
    }

    @Test(arguments: eras) func anUnknownTaskIDIsRefused(era: MCPEra) async throws {
        try await withErrand { errand in
            let client = errand.client(era)
            await #expect {
                try await client.task("no-such-task").status()
            } throws: { error in
                guard case MCPClientError.rejected(let rpc) = error else { return false }
                return rpc.code == -32602
            }
        }
    }

    @Test(arguments: eras) func aToolThatNeverRunsAsATask(era: MCPEra) async throws {
        try await withErrand { errand in
            let client = errand.client(era)
            switch era {
            case .modern:
                // The server decides per call: this one runs inline.
                guard case .result(let result) = try await client.startTask("sync_only") else {
                    Issue.record("sync_only should run inline")
                    return
                }
                #expect(result.text == "sync done")
            case .legacy:
                await #expect {
                    try await client.startTask("sync_only")
                } throws: { error in
                    guard case MCPClientError.rejected(let rpc) = error else { return false }
                    return rpc.code == -32601
                }
            }
        }
    }

    @Test func theModernEraHasNoTaskList() async throws {
        try await withErrand { errand in
            await #expect(throws: MCPClientError.self) { try await errand.client(.modern).listTasks() }
            let legacy = errand.client(.legacy)
            let task = try await startTask(legacy, "sleep", ["seconds": 0.1])
            let page = try await legacy.listTasks()
            #expect(page.tasks.contains { $0.taskID == task.id })
        }
    }
}
