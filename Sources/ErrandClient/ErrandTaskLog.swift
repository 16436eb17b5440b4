import ErrandProtocol
public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A task's log from an **Errand** server: MCP has no method to read a task's log, so this uses Errand's REST
/// endpoint `GET /api/tasks/{id}/log`, found beside the MCP endpoint (`…/mcp` → `…/api/tasks/{id}/log`). Against a
/// server without it, every method throws ``MCPClientError/unsupported(_:)``.
public struct ErrandTaskLog: Sendable {
    public let configuration: MCPClientConfiguration
    private let transport: HTTPStreamingTransport

    public init(configuration: MCPClientConfiguration) {
        self.configuration = configuration
        transport = HTTPStreamingTransport(limits: configuration.limits)
    }

    /// The log endpoint of task `id`, derived from the MCP endpoint.
    public func url(of id: String) -> URL {
        var components = URLComponents(url: configuration.url, resolvingAgainstBaseURL: false)
        var base = components?.path ?? ""
        if base.hasSuffix("/mcp") { base.removeLast(4) }
        if base.hasSuffix("/") { base.removeLast() }
        let escaped = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? id
        components?.percentEncodedPath = base + "/api/tasks/" + escaped + "/log"
        components?.query = nil
        return components?.url ?? configuration.url
    }

    /// The lines logged so far, as text (`2026-12-06T12:00:00.120Z info text` each).
    public func text(of id: String) async throws -> String {
        let response = try await get(id, follow: false)
        let body = try await response.collect(limit: configuration.limits.maxResponseBytes)
        return String(decoding: body, as: UTF8.self)
    }

    /// The task's lines, the ones logged so far first, then live ones until the task ends. A reader more than
    /// 4,096 lines behind gets ``MCPClientError/limitExceeded(_:)``.
    public func follow(_ id: String) -> AsyncThrowingStream<TaskLogLine, any Error> {
        AsyncThrowingStream(bufferingPolicy: .bufferingOldest(4_096)) { continuation in
            let reader = Task {
                do {
                    let response = try await get(id, follow: true)
                    var parser = ServerSentEventParser(maxEventBytes: configuration.limits.maxEventBytes)
                    events: for try await chunk in response.body {
                        for event in try parser.feed(chunk) {
                            if event.event == "end" { break events }
                            guard event.event == "log", let line = Self.line(event.data) else { continue }
                            if case .dropped = continuation.yield(line) {
                                throw MCPClientError.limitExceeded("the reader fell 4,096 log lines behind")
                            }
                        }
                    }
                    response.cancel()
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: HTTPStreamingTransport.clientError(error))
                }
            }
            continuation.onTermination = { _ in reader.cancel() }
        }
    }

    private static func line(_ data: String) -> TaskLogLine? {
        guard let json = try? JSONParser.parse(data), let text = json["text"]?.stringValue else { return nil }
        return TaskLogLine(level: json["level"]?.stringValue ?? "info", text: text)
    }

    private func get(_ id: String, follow: Bool) async throws -> HTTPStreamingResponse {
        var request = URLRequest(url: url(of: id))
        request.timeoutInterval = HTTPStreamingTransport.timeoutInterval(
            follow ? configuration.limits.streamIdleTimeout : configuration.limits.requestTimeout)
        request.setValue(follow ? "text/event-stream" : "text/plain", forHTTPHeaderField: "Accept")
        if let token = configuration.bearerToken {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        let response = try await transport.send(request)
        guard response.status == 200 else {
            let body = (try? await response.collect(limit: 64 * 1024)) ?? []
            let isProblem = response.header("content-type")?.contains("problem+json") ?? false
            if response.status == 404, isProblem {
                let detail = (try? JSONParser.parse(body))?["detail"]?.stringValue ?? "task not found"
                throw MCPClientError.rejected(.invalidParams(detail))
            }
            if response.status == 401 || response.status == 403 {
                throw MCPClientError.httpStatus(response.status, MCPClient.snippet(body))
            }
            throw MCPClientError.unsupported(
                "no Errand task log at \(url(of: id)) (HTTP \(response.status)); task logs are an Errand REST feature")
        }
        if follow, !response.isEventStream {
            response.cancel()
            throw MCPClientError.unsupported("\(url(of: id)) did not answer with an event stream")
        }
        return response
    }
}
