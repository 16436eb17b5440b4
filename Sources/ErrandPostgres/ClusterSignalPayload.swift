import ErrandEngine

/// The text a ``ClusterSignal`` travels as in a `NOTIFY` payload: `origin|kind|taskID|status|extra`.
///
/// `kind` is one letter (`w` wake, `c` created, `s` status, `p` progress, `i` input requested, `d` deleted,
/// `a` input answered); `extra` is the request id of `i` and `a`. Origins are ``sanitizedNode(_:)``: no `|`,
/// at most ``maxNodeBytes`` bytes. PostgreSQL refuses payloads of 8000 bytes or more; request ids longer than
/// ``maxRequestIDBytes`` are refused before anything is written, so every payload stays far below that.
enum ClusterSignalPayload {
    static let maxNodeBytes = 200
    static let maxRequestIDBytes = 1000

    /// The node name as payloads carry it: `|` replaced by `/`, cut to ``maxNodeBytes`` bytes.
    static func sanitizedNode(_ node: String) -> String {
        guard node.utf8.count > maxNodeBytes || node.utf8.contains(UInt8(ascii: "|")) else { return node }
        var text = node.replacing("|", with: "/")
        while text.utf8.count > maxNodeBytes { text.removeLast() }
        return text
    }

    static func wake(origin: String) -> String { sanitizedNode(origin) + wakeSuffix }

    static let wakeSuffix = "|w|||"

    static func change(_ change: ClusterChange, taskID: TaskID, status: TaskStatus, origin: String) -> String {
        sanitizedNode(origin) + changeSuffix(change, taskID: taskID, status: status)
    }

    /// A change's payload without the origin (for SQL that prepends the origin it reads from the row).
    static func changeSuffix(_ change: ClusterChange, taskID: TaskID, status: TaskStatus) -> String {
        let (kind, extra): (String, String)
        switch change {
        case .created: (kind, extra) = ("c", "")
        case .status: (kind, extra) = ("s", "")
        case .progress: (kind, extra) = ("p", "")
        case .inputRequested(let requestID): (kind, extra) = ("i", requestID)
        case .deleted: (kind, extra) = ("d", "")
        }
        return "|\(kind)|\(taskID.rawValue)|\(status.rawValue)|\(extra)"
    }

    static func inputAnswered(taskID: TaskID, requestID: String, origin: String) -> String {
        "\(sanitizedNode(origin))|a|\(taskID.rawValue)||\(requestID)"
    }

    /// The origin and the signal of a payload, or `nil` if it is not one this build writes.
    static func decode(_ payload: String) -> (origin: String, signal: ClusterSignal)? {
        let parts = payload.split(separator: "|", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5 else { return nil }
        let (origin, kind, id, statusText, extra) = (parts[0], parts[1], TaskID(parts[2]), parts[3], parts[4])
        if kind == "w" { return (origin, .wake) }
        if kind == "a" { return (origin, .inputAnswered(id, requestID: extra)) }
        guard let status = TaskStatus(rawValue: statusText) else { return nil }
        let change: ClusterChange
        switch kind {
        case "c": change = .created
        case "s": change = .status
        case "p": change = .progress
        case "i": change = .inputRequested(requestID: extra)
        case "d": change = .deleted
        default: return nil
        }
        return (origin, .changed(id, change, status: status))
    }
}
