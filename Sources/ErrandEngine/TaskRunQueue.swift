/// Tasks waiting for a worker slot: higher priority first; within one priority, round-robin across owners
/// (``TaskOwner/quotaKey``), first in first out within an owner. One owner's thousand queued tasks therefore
/// delay another owner's single task by at most one turn.
///
/// An owner can be *blocked* (it reached its own running limit): its tasks stay queued but are skipped until
/// it is unblocked. Push, pop, block and unblock are O(1) amortized (unblock is O(priority levels)).
///
/// Removal is lazy: ``remove(priority:owner:)`` only adjusts the counts, and ``popFirst(isLive:)`` skips entries
/// the engine no longer considers queued (each entry carries the ticket it was queued with).
struct TaskRunQueue {
    struct Entry {
        var id: TaskID
        var ticket: UInt64
    }

    /// An array consumed from the front, compacted now and then.
    private struct FIFO<Element> {
        private var elements: [Element] = []
        private var head = 0

        var isEmpty: Bool { head == elements.count }

        mutating func append(_ element: Element) { elements.append(element) }

        mutating func popFirst() -> Element? {
            guard head < elements.count else { return nil }
            let element = elements[head]
            head += 1
            if head == elements.count {
                elements.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 64, head * 2 >= elements.count {
                elements.removeFirst(head)
                head = 0
            }
            return element
        }
    }

    /// One owner's entries at one priority.
    private struct Lane {
        var entries = FIFO<Entry>()
        /// Entries not removed yet.
        var live = 0
        /// Whether the owner's key is in the level's rotation.
        var inRotation = false
    }

    /// All entries of one priority.
    private struct Level {
        var lanes: [String: Lane] = [:]
        /// Owners whose turn comes, in order; may hold blocked owners and drained lanes until they reach the front.
        var rotation = FIFO<String>()
        var live = 0
    }

    private var levels: [Int: Level] = [:]
    /// Priorities that have a level, highest first.
    private var priorities: [Int] = []
    /// Owners whose tasks are skipped for now.
    private var blocked: Set<String> = []
    /// Live entries per owner, over all priorities.
    private var livePerOwner: [String: Int] = [:]
    /// Live entries in all levels.
    private(set) var count = 0
    /// Live entries of owners that are not blocked: what ``popFirst(isLive:)`` can hand out.
    private(set) var runnableCount = 0

    var isEmpty: Bool { count == 0 }

    /// Live entries of `owner`.
    func count(of owner: String) -> Int { livePerOwner[owner] ?? 0 }

    /// About how many live tasks a task of `owner` at `priority` pushed now would have ahead of it: every task
    /// of a higher priority, the owner's own earlier ones, and one turn of each other owner per own task.
    func ahead(of priority: Int, owner: String) -> Int {
        var ahead = 0
        for other in priorities {
            guard other > priority else { break }
            ahead += levels[other]?.live ?? 0
        }
        guard let level = levels[priority] else { return ahead }
        let own = level.lanes[owner]?.live ?? 0
        let otherLanes = level.lanes.count - (level.lanes[owner] == nil ? 0 : 1)
        return ahead + own + min(level.live - own, otherLanes * (own + 1))
    }

    /// Appends a task of `owner` at `priority`.
    mutating func push(_ id: TaskID, ticket: UInt64, priority: Int, owner: String) {
        if levels[priority] == nil {
            let index = priorities.firstIndex { $0 < priority } ?? priorities.count
            priorities.insert(priority, at: index)
            levels[priority] = Level()
        }
        let unblocked = !blocked.contains(owner)
        modify(priority) { level in
            level.live += 1
            var lane = level.lanes[owner] ?? Lane()
            lane.entries.append(Entry(id: id, ticket: ticket))
            lane.live += 1
            if !lane.inRotation, unblocked {
                lane.inRotation = true
                level.rotation.append(owner)
            }
            level.lanes[owner] = lane
        }
        livePerOwner[owner, default: 0] += 1
        count += 1
        if unblocked { runnableCount += 1 }
    }

    /// Forgets one live entry of `owner` at `priority` (the engine stopped considering it queued).
    mutating func remove(priority: Int, owner: String) {
        guard levels[priority]?.lanes[owner] != nil else { return }
        modify(priority) { level in
            level.live -= 1
            level.lanes[owner]!.live -= 1
            if let lane = level.lanes[owner], lane.live == 0, !lane.inRotation { level.lanes[owner] = nil }
        }
        discount(owner)
        if levels[priority]!.live == 0 { dropLevel(priority) }
    }

    /// Skips `owner`'s tasks until ``unblock(_:)``.
    mutating func block(_ owner: String) {
        guard blocked.insert(owner).inserted else { return }
        runnableCount -= count(of: owner)
    }

    /// Gives `owner`'s queued tasks their turns again.
    mutating func unblock(_ owner: String) {
        guard blocked.remove(owner) != nil else { return }
        runnableCount += count(of: owner)
        for priority in priorities {
            modify(priority) { level in
                guard var lane = level.lanes[owner], !lane.inRotation else { return }
                lane.inRotation = true
                level.lanes[owner] = lane
                level.rotation.append(owner)
            }
        }
    }

    /// Takes the next live entry of an unblocked owner; `isLive` tells whether an entry is still queued.
    mutating func popFirst(isLive: (Entry) -> Bool) -> Entry? {
        var index = 0
        while index < priorities.count {
            let priority = priorities[index]
            if let entry = popFirst(at: priority, isLive: isLive) { return entry }
            if levels[priority]!.live == 0 {
                dropLevel(priority)
            } else {
                index += 1  // only blocked owners wait here
            }
        }
        return nil
    }

    private mutating func popFirst(at priority: Int, isLive: (Entry) -> Bool) -> Entry? {
        let blocked = self.blocked
        var taken: (entry: Entry, owner: String)?
        var stale: [(owner: String, count: Int)] = []
        modify(priority) { level in
            while taken == nil, let owner = level.rotation.popFirst() {
                guard var lane = level.lanes[owner] else { continue }
                lane.inRotation = false
                if lane.live == 0 {
                    level.lanes[owner] = nil  // drained: its remaining entries were all removed
                    continue
                }
                if blocked.contains(owner) {
                    level.lanes[owner] = lane  // parked until unblocked
                    continue
                }
                while let entry = lane.entries.popFirst() {
                    guard isLive(entry) else { continue }
                    lane.live -= 1
                    level.live -= 1
                    taken = (entry, owner)
                    break
                }
                if taken == nil, lane.live > 0 {
                    // Counted entries that are all gone: repair the counts rather than spin.
                    level.live -= lane.live
                    stale.append((owner, lane.live))
                    lane.live = 0
                }
                if lane.live > 0 {
                    lane.inRotation = true
                    level.rotation.append(owner)
                    level.lanes[owner] = lane
                } else {
                    level.lanes[owner] = nil
                }
            }
        }
        for (owner, count) in stale {
            for _ in 0..<count { discount(owner) }
        }
        guard let taken else { return nil }
        discount(taken.owner)
        return taken.entry
    }

    private mutating func discount(_ owner: String) {
        count -= 1
        if !blocked.contains(owner) { runnableCount -= 1 }
        let remaining = (livePerOwner[owner] ?? 1) - 1
        livePerOwner[owner] = remaining > 0 ? remaining : nil
    }

    /// Mutates a level in place (no copy-on-write of its lanes).
    private mutating func modify(_ priority: Int, _ body: (inout Level) -> Void) {
        guard let index = levels.index(forKey: priority) else { return }
        body(&levels.values[index])
    }

    private mutating func dropLevel(_ priority: Int) {
        levels[priority] = nil
        priorities.removeAll { $0 == priority }
    }
}
