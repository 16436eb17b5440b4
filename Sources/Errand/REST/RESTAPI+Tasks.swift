import ErrandEngine
import ErrandHTTP
import ErrandProtocol

extension RESTAPI {
    /// `GET /api/tasks`: the tasks the caller may see, newest first, filtered and paged.
    func listTasks(_ query: QueryParameters, _ requester: TaskOwner) -> HTTPReply {
        let listQuery: TaskListQuery
        do {
            listQuery = try Self.listQuery(query)
        } catch {
            return .immediate(error.response)
        }
        return Self.deferred { [self] () throws(Problem) in
            let page: TaskPage
            do throws(TaskEngineError) {
                page = try await engine.list(listQuery, for: requester)
            } catch {
                throw .engine(error)
            }
            var body: [String: JSONValue] = ["tasks": .array(page.tasks.map(taskJSON))]
            if let next = page.nextCursor { body["nextCursor"] = .string(next) }
            return Self.json(.object(body))
        }
    }

    static func listQuery(_ query: QueryParameters) throws(Problem) -> TaskListQuery {
        var listQuery = TaskListQuery(scope: .visible)
        if let text = query["status"], !text.isEmpty {
            var statuses: Set<TaskStatus> = []
            for name in text.split(separator: ",") {
                guard let status = TaskStatus(rawValue: String(name.trimmingWhitespace())) else {
                    let known = TaskStatus.allCases.map(\.rawValue).joined(separator: ", ")
                    throw .badRequest("Unknown status '\(name)' in 'status'; use a comma-separated list of: \(known).")
                }
                statuses.insert(status)
            }
            listQuery.statuses = statuses
        }
        if let tool = query["tool"], !tool.isEmpty { listQuery.target = tool }
        for (name, keyPath) in [("owner", \TaskListQuery.principal), ("team", \.team)] {
            guard let value = query[name] else { continue }
            guard !value.isEmpty else { throw .badRequest("'\(name)' is empty; omit it to list every \(name).") }
            listQuery[keyPath: keyPath] = value
        }
        if let order = query["order"] {
            switch order {
            case "newest": listQuery.oldestFirst = false
            case "oldest": listQuery.oldestFirst = true
            default: throw .badRequest("'order' must be 'newest' or 'oldest', not '\(order)'.")
            }
        }
        if let parent = query["parent"] {
            guard !parent.isEmpty else { throw .badRequest("'parent' must be a task id.") }
            listQuery.parent = TaskID(parent)
        }
        for (name, keyPath) in [("created_after", \TaskListQuery.createdAfter), ("created_before", \.createdBefore)] {
            guard let text = query[name] else { continue }
            guard let ms = RESTValues.epochMilliseconds(text) else {
                throw .badRequest(
                    "'\(name)' must be an RFC 3339 time (2026-03-02T09:15:00Z) or epoch milliseconds, not '\(text)'.")
            }
            listQuery[keyPath: keyPath] = ms
        }
        if let text = query["limit"] {
            guard let limit = Int(text), (1...1000).contains(limit) else {
                throw .badRequest("'limit' must be an integer from 1 to 1000, not '\(text)'.")
            }
            listQuery.limit = limit
        }
        if let cursor = query["cursor"] {
            guard !cursor.isEmpty else { throw .badRequest("'cursor' is empty; omit it for the first page.") }
            listQuery.cursor = cursor
        }
        return listQuery
    }

    /// `GET /api/tasks/{id}`.
    func getTask(_ id: TaskID, _ requester: TaskOwner) -> HTTPReply {
        Self.deferred { [self] () throws(Problem) in
            Self.json(taskJSON(try await lookUp(id, requester)))
        }
    }

    /// `GET /api/tasks/{id}/result[?wait=30s]`: 200 with the outcome once terminal, else 202 with the task.
    func taskResult(_ id: TaskID, _ query: QueryParameters, _ requester: TaskOwner) -> HTTPReply {
        var wait: Duration?
        if let text = query["wait"] {
            guard let duration = RESTValues.duration(text) else {
                return .immediate(
                    Problem.badRequest("'wait' must be a duration like 30s, 1500ms or 1m (at most 60s), not '\(text)'.")
                        .response)
            }
            wait = min(duration, maxResultWait)
        }
        return Self.deferred { [self, wait] () throws(Problem) in
            var record = try await lookUp(id, requester)
            if !record.status.isTerminal, let wait, wait > .zero {
                do throws(TaskEngineError) {
                    record = try await engine.waitForTerminal(id, for: requester, timeout: wait)
                } catch {
                    throw .engine(error)
                }
            }
            guard record.status.isTerminal else {
                let retryAfter = max(1, (record.pollIntervalMs + 999) / 1000)
                return Self.json(
                    taskJSON(record), status: 202,
                    headers: [
                        "Retry-After": String(retryAfter),
                        "Location": "/api/tasks/\(TaskRecord.pathSegment(id.rawValue))/result",
                    ])
            }
            return Self.json(record.restResult)
        }
    }

    /// `POST /api/tasks/{id}/cancel`: 200 with the cancelled task; 409 if it had already ended.
    func cancelTask(_ id: TaskID, _ requester: TaskOwner) -> HTTPReply {
        Self.deferred { [self] () throws(Problem) in
            do throws(TaskEngineError) {
                return Self.json(taskJSON(try await engine.cancel(id, for: requester, reason: "Cancelled over REST")))
            } catch {
                if case .alreadyTerminal(let status) = error.code {
                    throw .conflict(
                        "Task \(id) already ended (\(status.rawValue)); only running tasks can be cancelled.")
                }
                throw .engine(error)
            }
        }
    }

    /// `DELETE /api/tasks/{id}`: 204 for an ended task; 409 while it runs.
    func deleteTask(_ id: TaskID, _ requester: TaskOwner) -> HTTPReply {
        Self.deferred { [self] () throws(Problem) in
            do throws(TaskEngineError) {
                try await engine.delete(id, for: requester)
                return HTTPResponse(status: 204)
            } catch {
                if case .notTerminal = error.code {
                    throw .conflict(
                        "Task \(id) is still running: cancel it first (POST /api/tasks/\(id)/cancel), then delete it.")
                }
                throw .engine(error)
            }
        }
    }

    func lookUp(_ id: TaskID, _ requester: TaskOwner) async throws(Problem) -> TaskRecord {
        do throws(TaskEngineError) {
            return try await engine.task(id, for: requester)
        } catch {
            if case .notFound = error.code {
                throw .notFound("There is no task \(id) (it never existed, expired after its TTL, or was deleted).")
            }
            throw .engine(error)
        }
    }
}
