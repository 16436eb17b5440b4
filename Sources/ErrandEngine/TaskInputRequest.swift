public import ErrandProtocol

/// The question a task is waiting on (`input_required`): stored with the task, so that anyone who may see the task
/// — on any node, after a reconnect — can read and answer it.
public struct TaskInputRequest: Sendable, Hashable {
    /// The id an answer names (``TaskService/provideInput(taskID:requestID:response:)``).
    public var id: String
    /// What the tool asked: an MCP `elicitation/create` params object (`message`, `requestedSchema`, …).
    public var request: JSONValue
    /// When it was asked (ms since the Unix epoch).
    public var askedAt: Int64

    public init(id: String, request: JSONValue, askedAt: Int64) {
        self.id = id
        self.request = request
        self.askedAt = askedAt
    }

    /// `_meta` key of an answer that names who gave it (a principal, or "anonymous"); the engine records it in the
    /// task's history.
    public static let answeredByMetaKey = "io.errand/answeredBy"

    /// The history message of an answer: "input answered by NAME", or `nil` when the answer names no one.
    public static func answerMessage(_ response: JSONValue) -> String? {
        guard let name = response["_meta"]?[answeredByMetaKey]?.stringValue else { return nil }
        let action = response["action"]?.stringValue.map { " (\($0))" } ?? ""
        return "input answered by \(name)\(action)"
    }
}
