extension TaskOwner {
    /// The key per-owner limits count under: the principal when authenticated, else the session.
    /// Tasks with neither share one anonymous key.
    public var quotaKey: String {
        if let principal { return "p:" + principal }
        if let session { return "s:" + session }
        return "anonymous"
    }

    /// Whether a requester described by `self` may access a task owned by `owner`.
    ///
    /// A task without a principal (the server runs without authentication) is open to anyone who knows its
    /// id. Otherwise only the same principal, or a requester in the same non-`nil` team, may access it.
    /// Stores implement the same rule in their queries (SQL:
    /// `principal IS NULL OR principal = :principal OR (team IS NOT NULL AND team = :team)`).
    public func mayAccess(_ owner: TaskOwner) -> Bool {
        guard let ownerPrincipal = owner.principal else { return true }
        if let principal, principal == ownerPrincipal { return true }
        if let team, let ownerTeam = owner.team, team == ownerTeam { return true }
        return false
    }
}
