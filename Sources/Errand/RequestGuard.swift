public import ErrandHTTP

/// DNS-rebinding protection: validates `Host` and `Origin` before any route runs.
///
/// - `Host`: when ``allowedHosts`` is non-empty (the default when bound to loopback: `localhost`, `127.0.0.1`,
///   `[::1]`, any port), the Host's name must be one of them.
/// - `Origin`: absent is fine (curl, SDK clients); present, it must be same-origin with `Host` or listed in
///   ``allowedOrigins``. The opaque origin `null` (sandboxed frames, `data:` pages) is refused unless listed:
///   such a page can still send "simple" cross-site POSTs, e.g. a `text/plain` body to a REST tool call.
public struct RequestGuard: Sendable {
    public var allowedHosts: Set<String>
    public var allowedOrigins: Set<String>

    public init(allowedHosts: Set<String>, allowedOrigins: Set<String> = []) {
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
        self.allowedOrigins = Set(allowedOrigins.map { $0.lowercased() })
    }

    public static let loopbackHosts: Set<String> = ["localhost", "127.0.0.1", "[::1]"]

    /// The guard for a server bound to `host`: loopback binds check Host names; others accept any Host.
    public static func forBinding(host: String, extraOrigins: Set<String> = []) -> RequestGuard {
        RequestGuard(allowedHosts: isLoopback(host) ? loopbackHosts : [], allowedOrigins: extraOrigins)
    }

    /// Whether binding to `host` keeps the server on this machine.
    public static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
    }

    /// A 403 response when the request must be refused, else `nil`.
    public func check(_ request: HTTPRequest) -> HTTPResponse? {
        let host = request.headers["Host"]?.lowercased()
        if !allowedHosts.isEmpty {
            guard let host, allowedHosts.contains(Self.hostName(host)) else {
                return .text(403, "Forbidden: Host header '\(host ?? "")' is not allowed on this server\n")
            }
        }
        if let origin = request.headers["Origin"]?.lowercased() {
            if allowedOrigins.contains(origin) { return nil }
            let authority = Self.authority(ofOrigin: origin)
            let sameOrigin = authority != nil && authority == host
            let loopbackOrigin = authority.map { allowedHosts.contains(Self.hostName($0)) } ?? false
            guard sameOrigin || (loopbackOrigin && !allowedHosts.isEmpty) else {
                return .text(403, "Forbidden: Origin '\(origin)' is not allowed\n")
            }
        }
        return nil
    }

    /// `host` of `host:port` or `[v6]:port`.
    static func hostName(_ authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[...close])
        }
        if let colon = authority.lastIndex(of: ":") { return String(authority[..<colon]) }
        return authority
    }

    /// `host:port` of `scheme://host:port`, or `nil` if it is not an http(s) origin.
    static func authority(ofOrigin origin: String) -> String? {
        for scheme in ["http://", "https://"] where origin.hasPrefix(scheme) {
            let rest = origin.dropFirst(scheme.count)
            return rest.isEmpty ? nil : String(rest.prefix { $0 != "/" })
        }
        return nil
    }
}
