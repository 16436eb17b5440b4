import ErrandProtocol

/// The parsed tokens file (`errand serve --auth-file PATH`): principals by the SHA-256 of their tokens.
///
/// ```json
/// {"principals": [{"name": "alice", "team": "chem", "tokens": ["sha256:<64 hex digits>"], "maxPriority": 5,
///   "limits": {"concurrentTasks": 20, "queuedTasks": 200, "submissionsPerMinute": 600}}]}
/// ```
/// `team`, `maxPriority` (default 0) and each limit (default: the server's default limits) are optional. The
/// file holds token hashes only (`errand token hash`); unknown keys are refused so that typos do not go unseen.
public struct TokensFile: Sendable {
    public var principals: [Principal]
    /// Principal index by token hash (`sha256:<hex>`).
    let byHash: [String: Int]

    /// A parse or validation failure, with where it is and what to write instead.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Parses and validates a tokens file. `defaults` fills in limits a principal does not set.
    public init(bytes: [UInt8], defaults: PrincipalLimits = .standard) throws(Failure) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw Failure("not valid JSON: \(error)")
        }
        guard let members = root.objectValue, let list = members["principals"]?.arrayValue else {
            throw Failure(#"the top level must be an object with a "principals" array"#)
        }
        try Self.refuseUnknownKeys(members, allowed: ["principals"], at: "the top level")
        var principals: [Principal] = []
        var byHash: [String: Int] = [:]
        var names: Set<String> = []
        for (index, entry) in list.enumerated() {
            let (principal, hashes) = try Self.principal(entry, index: index, defaults: defaults)
            guard names.insert(principal.name).inserted else {
                throw Failure("principals[\(index)]: the name '\(principal.name)' is used twice")
            }
            for hash in hashes {
                guard byHash.updateValue(principals.count, forKey: hash) == nil else {
                    throw Failure("principals[\(index)] ('\(principal.name)'): a token hash is listed twice")
                }
            }
            principals.append(principal)
        }
        self.principals = principals
        self.byHash = byHash
    }

    /// The principal a presented token belongs to.
    public func principal(forToken token: String) -> Principal? {
        byHash[AccessToken.hash(token)].map { principals[$0] }
    }

    private static func principal(_ entry: JSONValue, index: Int, defaults: PrincipalLimits) throws(Failure)
        -> (Principal, [String])
    {
        let place = "principals[\(index)]"
        guard let members = entry.objectValue else { throw Failure("\(place) must be an object") }
        try refuseUnknownKeys(members, allowed: ["name", "team", "tokens", "maxPriority", "limits"], at: place)
        guard let name = members["name"]?.stringValue, !name.isEmpty else {
            throw Failure("\(place) needs a non-empty string \"name\"")
        }
        let named = "\(place) ('\(name)')"
        var team: String?
        if let value = members["team"], !value.isNull {
            guard let text = value.stringValue, !text.isEmpty else {
                throw Failure("\(named): \"team\" must be a non-empty string")
            }
            team = text
        }
        guard let tokens = members["tokens"]?.arrayValue else {
            throw Failure("\(named) needs a \"tokens\" array of \"sha256:<hex>\" hashes")
        }
        var hashes: [String] = []
        for token in tokens {
            guard let text = token.stringValue?.lowercased(), isHash(text) else {
                throw Failure(
                    "\(named): every entry of \"tokens\" must be \"sha256:\" and 64 hex digits — the hash of a token,"
                        + " never the token itself (make one with `errand token hash` or `errand token new`)")
            }
            hashes.append(text)
        }
        let maxPriority = try integer(members["maxPriority"], "maxPriority", at: named, minimum: -1_000_000) ?? 0
        var limits = defaults
        if let value = members["limits"], !value.isNull {
            guard let limitMembers = value.objectValue else { throw Failure("\(named): \"limits\" must be an object") }
            let keys = ["concurrentTasks", "queuedTasks", "submissionsPerMinute"]
            try refuseUnknownKeys(limitMembers, allowed: Set(keys), at: "\(named).limits")
            let at = "\(named).limits"
            limits.concurrentTasks =
                try integer(limitMembers["concurrentTasks"], "concurrentTasks", at: at, minimum: 1)
                ?? limits.concurrentTasks
            limits.queuedTasks =
                try integer(limitMembers["queuedTasks"], "queuedTasks", at: at, minimum: 0) ?? limits.queuedTasks
            limits.submissionsPerMinute =
                try integer(limitMembers["submissionsPerMinute"], "submissionsPerMinute", at: at, minimum: 1)
                ?? limits.submissionsPerMinute
        }
        return (Principal(name: name, team: team, maxPriority: maxPriority, limits: limits), hashes)
    }

    private static func integer(_ value: JSONValue?, _ key: String, at place: String, minimum: Int) throws(Failure)
        -> Int?
    {
        guard let value, !value.isNull else { return nil }
        guard let number = value.intValue, number >= minimum, number <= 1_000_000 else {
            throw Failure("\(place): \"\(key)\" must be an integer from \(minimum) to 1000000")
        }
        return Int(number)
    }

    private static func refuseUnknownKeys(_ members: [String: JSONValue], allowed: Set<String>, at place: String)
        throws(Failure)
    {
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw Failure("\(place): unknown key \"\(unknown)\" (known: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    private static func isHash(_ text: String) -> Bool {
        guard text.hasPrefix("sha256:") else { return false }
        let hex = text.utf8.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
