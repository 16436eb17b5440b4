/// The subscribers of an ``EventHub`` by who they may see, so that a task's event is handed to the subscribers
/// allowed to see it — O(matching subscribers) — instead of to every subscriber for it to filter.
///
/// The routing is ``TaskOwner/mayAccess(_:)`` turned around: an event of a task owned by principal `P` in
/// team `T` goes to the subscribers that see everything, the subscribers of principal `P`, and those of team
/// `T` (a member whose principal is `P` is not handed it twice). An event of a task without a principal (a
/// server without authentication) goes to every subscriber.
///
/// A value type: the hub keeps it under its lock and copies out the (copy-on-write) buckets to deliver to.
struct EventAudienceIndex<Handler> {
    struct Subscriber {
        var id: UInt64
        /// `nil`: every event.
        var audience: TaskOwner?
        var handler: Handler
    }

    /// Every subscriber, in subscription order: the audience of a task without a principal.
    private(set) var all: [Subscriber] = []
    /// Subscribers without an audience: every event reaches them.
    private var everything: [Subscriber] = []
    private var byPrincipal: [String: [Subscriber]] = [:]
    private var byTeam: [String: [Subscriber]] = [:]

    var count: Int { all.count }

    mutating func insert(_ subscriber: Subscriber) {
        all.append(subscriber)
        guard let audience = subscriber.audience else {
            everything.append(subscriber)
            return
        }
        if let principal = audience.principal { byPrincipal[principal, default: []].append(subscriber) }
        if let team = audience.team { byTeam[team, default: []].append(subscriber) }
    }

    mutating func remove(id: UInt64) {
        guard let index = all.firstIndex(where: { $0.id == id }) else { return }
        let subscriber = all.remove(at: index)
        guard let audience = subscriber.audience else {
            everything.removeAll { $0.id == id }
            return
        }
        if let principal = audience.principal { Self.remove(id, key: principal, from: &byPrincipal) }
        if let team = audience.team { Self.remove(id, key: team, from: &byTeam) }
    }

    private static func remove(_ id: UInt64, key: String, from buckets: inout [String: [Subscriber]]) {
        guard var bucket = buckets.removeValue(forKey: key) else { return }
        bucket.removeAll { $0.id == id }
        if !bucket.isEmpty { buckets[key] = bucket }
    }

    /// Who may see an event of a task owned by `owner`, each subscriber once.
    func audience(of owner: TaskOwner) -> Audience {
        guard let principal = owner.principal else { return Audience(everyone: all) }
        return Audience(
            everything: everything, principal: byPrincipal[principal] ?? [],
            team: owner.team.flatMap { byTeam[$0] } ?? [], owner: principal)
    }

    /// The subscribers one event goes to: copies of the buckets, taken under the hub's lock.
    struct Audience {
        private var everything: [Subscriber]
        private var principal: [Subscriber]
        private var team: [Subscriber]
        private var owner: String?

        init(everyone: [Subscriber]) {
            self.everything = everyone
            self.principal = []
            self.team = []
            self.owner = nil
        }

        init(everything: [Subscriber], principal: [Subscriber], team: [Subscriber], owner: String) {
            self.everything = everything
            self.principal = principal
            self.team = team
            self.owner = owner
        }

        /// Calls `body` with each subscriber's handler.
        func forEach(_ body: (Handler) -> Void) {
            for subscriber in everything { body(subscriber.handler) }
            for subscriber in principal { body(subscriber.handler) }
            // A teammate who is also the owner got it from the principal's bucket already.
            for subscriber in team where subscriber.audience?.principal != owner { body(subscriber.handler) }
        }
    }
}
