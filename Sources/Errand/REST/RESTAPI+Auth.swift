import ErrandHTTP
import ErrandProtocol

extension RESTAPI {
    /// `GET /api/auth`: whether requests need a bearer token and, when one is sent, whose it is.
    ///
    /// Answers without a token (so a dashboard can find out it must ask for one); a wrong token gets 401.
    func authStatus(_ request: HTTPRequest, gate: AuthGate) -> HTTPResponse {
        guard request.method == "GET" else {
            return Problem.methodNotAllowed(request.method, path: request.path, allow: ["GET"]).response
        }
        guard gate.isRequired, AuthGate.token(of: request, allowQuery: false) != nil else {
            return Self.json(["required": .bool(gate.isRequired), "principal": .null])
        }
        switch gate.authenticate(request) {
        case .failure(let refusal):
            return refusal.problem.response
        case .success(let caller):
            guard let principal = caller.principal else { return Self.json(["required": true, "principal": .null]) }
            let limits = principal.limits
            return Self.json([
                "required": true,
                "principal": [
                    "name": .string(principal.name), "team": principal.team.map { .string($0) } ?? .null,
                    "maxPriority": .int(Int64(principal.maxPriority)),
                    "limits": [
                        "concurrentTasks": .int(Int64(limits.concurrentTasks)),
                        "queuedTasks": .int(Int64(limits.queuedTasks)),
                        "submissionsPerMinute": .int(Int64(limits.submissionsPerMinute)),
                    ],
                ],
            ])
        }
    }
}
