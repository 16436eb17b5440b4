import ErrandEngine
import ErrandProtocol

extension TaskProgress {
    /// The `notifications/progress` message for this report, sent against the caller's `progressToken`; `meta`
    /// becomes its `_meta` (a task's related-task marker).
    func progressNotification(token: JSONValue, meta: JSONValue? = nil) -> JSONRPCMessage {
        var params: [String: JSONValue] = ["progressToken": token, "progress": .double(current)]
        if let total { params["total"] = .double(total) }
        if let message { params["message"] = .string(message) }
        if let meta { params["_meta"] = meta }
        return .notification(method: "notifications/progress", params: .object(params))
    }
}
