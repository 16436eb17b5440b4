import ErrandEngine
import ErrandHTTP
import ErrandProtocol

extension RESTAPI {
    /// `POST /api/tasks/{id}/input`: answers the question a task waits on, from any client that may see the task.
    ///
    /// The body is an MCP `ElicitResult`: `{"action": "accept" | "decline" | "cancel", "content": {…}}`; an accepted
    /// answer's `content` must match the question's `requestedSchema`. The first valid answer wins, whoever gives
    /// it (this route, the MCP client that started the task, a 2026-07-28 `tasks/update`); a later one gets 409.
    /// The task's history records who answered.
    func answerInput(_ id: TaskID, _ request: HTTPRequest, _ caller: Caller) -> HTTPReply {
        let answer: JSONValue
        do {
            answer = try Self.inputAnswer(request.body)
        } catch {
            return .immediate(error.response)
        }
        let requester = caller.restOwner
        let answeredBy = caller.principal?.name ?? "anonymous"
        return Self.deferred { [self] () throws(Problem) in
            let record = try await lookUp(id, requester)
            guard record.status == .inputRequired, let question = record.inputRequest else {
                throw .conflict(
                    "Task \(id) is not waiting for input (it is \(record.status.rawValue)): it was answered already, "
                        + "or never asked.")
            }
            if answer["action"] == "accept" {
                try Self.check(answer["content"] ?? [:], against: question.request["requestedSchema"])
            }
            var response = answer
            response = response.setting("_meta", to: [TaskInputRequest.answeredByMetaKey: .string(answeredBy)])
            do throws(TaskEngineError) {
                try await engine.provideInput(taskID: id, requestID: question.id, response: response)
            } catch {
                switch error.code {
                case .notFound, .alreadyTerminal:
                    throw .conflict("The question of task \(id) was answered already (or the task ended).")
                default: throw .engine(error)
                }
            }
            return Self.json(taskJSON(try await lookUp(id, requester)))
        }
    }

    /// The answer in a request body, checked for shape: an object with a known `action` and, if any, an object
    /// `content`.
    static func inputAnswer(_ body: [UInt8]) throws(Problem) -> JSONValue {
        let answer: JSONValue
        do {
            answer = try JSONParser.parse(body)
        } catch {
            throw .badRequest(#"The body must be an answer like {"action": "accept", "content": {…}}: \#(error)."#)
        }
        guard let members = answer.objectValue else {
            throw .badRequest(#"The body must be a JSON object like {"action": "accept", "content": {…}}."#)
        }
        guard let action = members["action"]?.stringValue, ["accept", "decline", "cancel"].contains(action) else {
            throw .badRequest("'action' must be \"accept\", \"decline\" or \"cancel\".")
        }
        if let content = members["content"], content.objectValue == nil {
            throw .badRequest("'content' must be an object of the requested fields.")
        }
        return ["action": .string(action), "content": members["content"] ?? [:]]
    }

    /// Checks accepted content against the question's `requestedSchema` (when it gives one this server can read).
    static func check(_ content: JSONValue, against requestedSchema: JSONValue?) throws(Problem) {
        guard let requestedSchema, let schema = try? JSONSchema(json: requestedSchema) else { return }
        let problems = schema.validate(content)
        guard problems.isEmpty else {
            throw Problem(
                400, "The answer does not match the question: \(problems.joined(separator: "; ")).",
                extensions: ["problems": .array(problems.map { .string($0) })])
        }
    }
}

extension TaskInputRequest {
    /// The question as REST shows it (`inputRequest` of a task).
    var restJSON: JSONValue {
        var question: [String: JSONValue] = [
            "id": .string(id), "askedAt": .string(Timestamp.rfc3339(millisecondsSinceEpoch: askedAt)),
            "request": request,
        ]
        if let message = request["message"] { question["message"] = message }
        if let schema = request["requestedSchema"] { question["requestedSchema"] = schema }
        return .object(question)
    }
}
