import ErrandClient
import Foundation
import Testing

// README.md, "A Swift client for tasks": the program there, verbatim, so it keeps compiling and working.

/// Runs `slow_computation` as a task, prints what happens, returns its text.
func computeInBackground(url: URL) async throws -> String {
    let client = MCPClient(url: url)  // MCPClient(configuration:) for a token, limits, a fixed revision
    guard case .task(let task) = try await client.startTask("slow_computation", arguments: ["duration": 2]) else {
        return "ran inline"
    }
    print("task", task.id)  // keep it: MCPClient(url: url).task(id) resumes from any process
    for try await update in task.updates() {  // ends after the terminal status
        switch update {
        case .status(let snapshot): print(snapshot.status, snapshot.statusMessage ?? "")
        case .progress(let progress): print("progress", progress.progress, "of", progress.total ?? 0)
        case .log(let line): print("log", line.text)
        case .inputRequested(let question):  // an elicitation: answer it (or leave it to someone else)
            try await task.answer(question, with: ["action": "decline"])
        }
    }
    let outcome = try await task.outcome()
    await client.close()
    switch outcome {
    case .completed(let result): return result.isError ? "tool error: \(result.text)" : result.text
    case .failed(let error): return "failed: \(error.message)"
    case .cancelled(let reason): return "cancelled: \(reason ?? "")"
    }
}

@Suite struct ReadmeExampleTests {
    @Test func theReadmeProgramRunsATaskToItsResult() async throws {
        try await withErrand { errand in
            let text = try await computeInBackground(url: errand.url)
            #expect(text == "computed 2 steps")
        }
    }
}
