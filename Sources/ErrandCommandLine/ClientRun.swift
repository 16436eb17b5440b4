import ArgumentParser
import ErrandClient
import ErrandProtocol

/// Runs a client command's body: a client error becomes a message on stderr (and a JSON object with `--json`)
/// and its documented exit status.
enum ClientRun {
    /// - Parameter client: closed (its session ended) after the body, however the body ends.
    static func run(json: Bool, closing client: MCPClient? = nil, _ body: () async throws -> ClientExitCode)
        async throws
    {
        let code: ClientExitCode
        do {
            code = try await body()
            await client?.close()
        } catch let error as MCPClientError {
            await client?.close()
            code = ClientExitCode(error)
            report(error.description + hint(error), code: code, json: json)
        } catch let error as TaskNeedsInput {
            await client?.close()
            code = .needsInput
            report(error.description, code: code, json: json)
        }
        if code != .completed { throw code.exit }
    }

    /// What to do about a refusal the command line can fix.
    static func hint(_ error: MCPClientError) -> String {
        guard case .rejected(let rpc) = error else { return "" }
        // 2026-07-28: -32021 (the tasks extension is needed); 2025-11-25: -32601 "requires task-augmented …".
        if rpc.code == -32021 || rpc.message.contains("requires task") { return " (run it with --task)" }
        return ""
    }

    static func report(_ message: String, code: ClientExitCode, json: Bool) {
        Terminal.err("errand: \(message)")
        if json { Terminal.json(["error": .string(message), "exitCode": .int(Int64(code.rawValue))]) }
    }
}

/// A task asked a question and there is nobody to ask.
struct TaskNeedsInput: Error, CustomStringConvertible {
    var taskID: String
    var message: String
    var description: String {
        "task \(taskID) asks for input: \"\(message)\". Answer it from a terminal (errand tasks watch \(taskID)); "
            + "on Errand also from the dashboard or POST /api/tasks/\(taskID)/input"
    }
}

extension TaskOutcome {
    /// The outcome as `--json` prints it.
    func json(taskID: String?) -> JSONValue {
        var object: [String: JSONValue] = [:]
        if let taskID { object["taskId"] = .string(taskID) }
        switch self {
        case .completed(let result):
            object["status"] = "completed"
            object["result"] = result.json
        case .failed(let error):
            object["status"] = "failed"
            object["error"] = error.json
        case .cancelled(let reason):
            object["status"] = "cancelled"
            if let reason { object["statusMessage"] = .string(reason) }
        }
        return .object(object)
    }

    /// Prints the outcome: the result's text (or its JSON) on stdout, failures on stderr.
    func print(json: Bool, taskID: String?) {
        if json { return Terminal.json(self.json(taskID: taskID)) }
        switch self {
        case .completed(let result):
            Terminal.out(ToolResultText.render(result))
            if result.isError { Terminal.err("errand: the tool reported an error") }
        case .failed(let error):
            Terminal.err("errand: task failed: \(error.message) (JSON-RPC \(error.code))")
        case .cancelled(let reason):
            Terminal.err("errand: task cancelled" + (reason.map { ": \($0)" } ?? ""))
        }
    }
}

enum ToolResultText {
    /// The text blocks, else the structured content, else the content as JSON.
    static func render(_ result: ToolResult) -> String {
        if !result.text.isEmpty { return result.text }
        if let structured = result.structuredContent { return JSONWriter.string(structured, options: .sortedKeys) }
        return JSONWriter.string(.array(result.content), options: .sortedKeys)
    }
}
