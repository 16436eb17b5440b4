import ErrandEngine

/// Who sent one request: an authenticated principal, or (without authentication) an anonymous client.
///
/// The presented token is kept only for the life of the request, to scrub it from anything that would be
/// stored; it is never logged or written anywhere.
public struct Caller: Sendable {
    /// The authenticated principal; `nil` when the server runs without authentication.
    public var principal: Principal?
    /// The bearer token the request carried.
    var token: String?
    /// The remote address without its port: whom anonymous REST calls are counted against.
    var client: String
    /// The limits its tasks and submissions run under.
    var limits: PrincipalLimits
    /// The highest priority it may ask for.
    var maxPriority: Int

    /// An anonymous caller (authentication is off): the server's default limits, priority at most 0.
    static func anonymous(client: String, limits: PrincipalLimits) -> Caller {
        Caller(principal: nil, token: nil, client: client, limits: limits, maxPriority: 0)
    }

    /// A caller whose token matched `principal`.
    static func authenticated(_ principal: Principal, token: String, client: String) -> Caller {
        Caller(
            principal: principal, token: token, client: client, limits: principal.limits,
            maxPriority: principal.maxPriority)
    }

    /// The owner of tasks this caller creates in `session` (an MCP session id, or a REST client label).
    func owner(session: String) -> TaskOwner {
        TaskOwner(principal: principal?.name, team: principal?.team, session: session)
    }

    /// The owner REST tasks get: the principal, or without authentication one owner per remote address.
    var restOwner: TaskOwner { owner(session: "rest:" + client) }

    /// `requested` clamped to the caller's ceiling (and to the bounds the REST API documents).
    func clampedPriority(_ requested: Int) -> Int { min(max(requested, -1_000_000), maxPriority) }

    /// The engine's view of the limits.
    var ownerLimits: OwnerLimits {
        OwnerLimits(concurrentTasks: limits.concurrentTasks, queuedTasks: limits.queuedTasks)
    }

    /// `host` of a `host:port` or `[v6]:port` remote address.
    static func clientName(_ remoteAddress: String) -> String {
        if remoteAddress.hasPrefix("["), let close = remoteAddress.firstIndex(of: "]") {
            return String(remoteAddress[remoteAddress.index(after: remoteAddress.startIndex)..<close])
        }
        if let colon = remoteAddress.lastIndex(of: ":"), remoteAddress.firstIndex(of: ":") == colon {
            return String(remoteAddress[..<colon])
        }
        return remoteAddress
    }
}
