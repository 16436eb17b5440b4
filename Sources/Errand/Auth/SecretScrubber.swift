import ErrandProtocol

/// Removes a secret (the request's bearer token) from JSON before it can be stored with a task.
enum SecretScrubber {
    static let replacement = "[redacted]"

    /// `value` with every string that contains `secret` replaced by ``replacement``; object keys that contain
    /// it are dropped.
    static func scrub(_ value: JSONValue, secret: String?) -> JSONValue {
        guard let secret, !secret.isEmpty else { return value }
        switch value {
        case .string(let text):
            return text.contains(secret) ? .string(replacement) : value
        case .array(let elements):
            return .array(elements.map { scrub($0, secret: secret) })
        case .object(let members):
            var scrubbed: [String: JSONValue] = [:]
            for (key, member) in members where !key.contains(secret) { scrubbed[key] = scrub(member, secret: secret) }
            return .object(scrubbed)
        default:
            return value
        }
    }
}

extension JSONRPCMessage {
    /// The message with `secret` scrubbed from its params or result (see ``SecretScrubber``).
    func scrubbing(_ secret: String?) -> JSONRPCMessage {
        guard let secret, !secret.isEmpty else { return self }
        switch self {
        case .request(let id, let method, let params):
            return .request(id: id, method: method, params: params.map { SecretScrubber.scrub($0, secret: secret) })
        case .notification(let method, let params):
            return .notification(method: method, params: params.map { SecretScrubber.scrub($0, secret: secret) })
        case .result(let id, let result):
            return .result(id: id, result: SecretScrubber.scrub(result, secret: secret))
        case .error:
            return self
        }
    }
}
