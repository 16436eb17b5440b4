import ErrandHTTP
import ErrandProtocol

/// Decides who a request is from: with an ``Authenticator``, the principal its bearer token belongs to (or a
/// 401); without one, an anonymous caller.
struct AuthGate: Sendable {
    let authenticator: Authenticator?
    /// Limits of anonymous callers when authentication is off.
    let anonymousLimits: PrincipalLimits

    var isRequired: Bool { authenticator != nil }

    /// The caller of `request`.
    /// - Parameter allowQueryToken: also accept `?access_token=` (only the event streams `GET /api/events` and
    ///   `GET /api/tasks/{id}/log`: EventSource cannot send headers).
    func authenticate(_ request: HTTPRequest, allowQueryToken: Bool = false) -> Result<Caller, AuthRefusal> {
        let client = Caller.clientName(request.remoteAddress)
        guard let authenticator else { return .success(.anonymous(client: client, limits: anonymousLimits)) }
        guard let token = Self.token(of: request, allowQuery: allowQueryToken) else {
            let detail =
                allowQueryToken
                ? "Authentication required: send Authorization: Bearer <token> (or ?access_token=<token>)."
                : "Authentication required: send the header Authorization: Bearer <token>."
            return .failure(AuthRefusal(detail: detail, invalidToken: false))
        }
        guard let principal = authenticator.principal(forToken: token) else {
            return .failure(
                AuthRefusal(detail: "The bearer token is not valid (unknown, revoked or mistyped).", invalidToken: true)
            )
        }
        return .success(.authenticated(principal, token: token, client: client))
    }

    /// The bearer token of the `Authorization` header, else (if allowed) of `?access_token=`.
    static func token(of request: HTTPRequest, allowQuery: Bool) -> String? {
        if let header = request.headers["Authorization"] { return AccessToken.bearer(fromAuthorization: header) }
        guard allowQuery, let token = QueryParameters(request.query)["access_token"], !token.isEmpty else { return nil }
        return token
    }
}

/// A request without valid credentials: 401 with a `WWW-Authenticate` challenge (RFC 6750).
struct AuthRefusal: Error, Sendable {
    var detail: String
    /// A token was presented but matched no principal (`error="invalid_token"`).
    var invalidToken: Bool

    var challenge: String {
        invalidToken ? #"Bearer realm="errand", error="invalid_token""# : #"Bearer realm="errand""#
    }

    /// The MCP endpoint's form: a JSON-RPC error without id.
    var mcpResponse: HTTPResponse {
        StreamableHTTPEndpoint.transportError(
            401, JSONRPCError(code: ErrandErrorCode.unauthorized, message: detail),
            headers: ["WWW-Authenticate": challenge])
    }

    /// The REST form: `application/problem+json`.
    var problem: Problem { Problem(401, detail, headers: ["WWW-Authenticate": challenge]) }
}
