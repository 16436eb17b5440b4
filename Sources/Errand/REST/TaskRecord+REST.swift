import ErrandEngine
import ErrandProtocol

extension TaskRecord {
    /// The REST view of a task (schema `Task` in openapi.yaml). Arguments named in `redacted` read `"***"`.
    func restJSON(redacting redacted: Set<String> = []) -> JSONValue {
        let base = "/api/tasks/\(Self.pathSegment(id.rawValue))"
        var task: [String: JSONValue] = [
            "id": .string(id.rawValue),
            "status": .string(status.rawValue),
            "kind": .string(kind.rawValue),
            "tool": .string(target),
            "arguments": Self.redact(arguments, redacted),
            "createdAt": .string(Timestamp.rfc3339(millisecondsSinceEpoch: createdAt)),
            "lastUpdatedAt": .string(Timestamp.rfc3339(millisecondsSinceEpoch: lastUpdatedAt)),
            "ttlMs": ttlMs.map { .int($0) } ?? .null,
            "pollIntervalMs": .int(pollIntervalMs),
            "attempt": .int(Int64(attempt)),
            "priority": .int(Int64(priority)),
            "history": .array(history.map(\.restJSON)),
            "links": [
                "self": .string(base), "result": .string(base + "/result"), "log": .string(base + "/log"),
                "events": .string("/api/events?task=\(Self.queryValue(id.rawValue))"),
            ],
        ]
        if let statusMessage { task["statusMessage"] = .string(statusMessage) }
        if let progress { task["progress"] = progress.restJSON }
        if let parent { task["parentTaskId"] = .string(parent.rawValue) }
        if owner.principal != nil || owner.team != nil {
            var who: [String: JSONValue] = [:]
            if let principal = owner.principal { who["principal"] = .string(principal) }
            if let team = owner.team { who["team"] = .string(team) }
            task["owner"] = .object(who)
        }
        if let inputRequest, status == .inputRequired { task["inputRequest"] = inputRequest.restJSON }
        task["logLines"] = .int(Int64(clamping: log.lastSequence))
        return .object(task)
    }

    /// The body of `GET /api/tasks/{id}/result` for a terminal task (schema `TaskResult`): the request's result
    /// object, or the JSON-RPC error it ended in; a cancelled task has neither.
    var restResult: JSONValue {
        var body: [String: JSONValue] = ["taskId": .string(id.rawValue), "status": .string(status.rawValue)]
        switch (status, outcome) {
        case (.cancelled, _):
            break
        case (_, .result(let result)?):
            body["result"] = result
        case (_, .error(let error)?):
            body["error"] = error.json
        case (.failed, nil) where kind == .toolCall:
            // Ended without a result (timeout, restart): what the call would have answered.
            body["result"] = ToolOutput.error(statusMessage ?? "The task failed").callToolResult
        default:
            body["error"] = JSONRPCError.internalError(statusMessage ?? "The task ended without a result").json
        }
        return .object(body)
    }

    private static func redact(_ arguments: JSONValue, _ redacted: Set<String>) -> JSONValue {
        guard !redacted.isEmpty, var members = arguments.objectValue else { return arguments }
        for name in redacted where members[name] != nil { members[name] = "***" }
        return .object(members)
    }

    /// Task ids are UUIDs, but links must stay valid for any id a store hands back.
    static func pathSegment(_ text: String) -> String { percentEncode(text, keep: "-._~") }
    static func queryValue(_ text: String) -> String { percentEncode(text, keep: "-._~") }

    private static func percentEncode(_ text: String, keep: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            let isAlphanumeric =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            if isAlphanumeric || keep.utf8.contains(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension TaskHistoryEntry {
    var restJSON: JSONValue {
        var entry: [String: JSONValue] = [
            "at": .string(Timestamp.rfc3339(millisecondsSinceEpoch: at)), "status": .string(status.rawValue),
            "attempt": .int(Int64(attempt)),
        ]
        if let message { entry["message"] = .string(message) }
        return .object(entry)
    }
}

extension TaskProgress {
    var restJSON: JSONValue {
        var progress: [String: JSONValue] = ["current": .double(current)]
        if let total { progress["total"] = .double(total) }
        if let message { progress["message"] = .string(message) }
        return .object(progress)
    }
}
