/// Tasks waiting for a worker slot: higher priority first, first in first out within a priority.
///
/// Removal is lazy: ``remove(priority:)`` only adjusts the counts, and ``popFirst(isLive:)`` skips entries the
/// engine no longer considers queued (each entry carries the ticket it was queued with).
struct TaskRunQueue {
    struct Entry {
        var id: TaskID
        var ticket: UInt64
    }

    private struct Bucket {
        var entries: [Entry] = []
        var head = 0
        /// Entries not removed yet.
        var live = 0

        mutating func popFirst() -> Entry? {
            guard head < entries.count else { return nil }
            let entry = entries[head]
            head += 1
            if head == entries.count {
                entries.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 64, head * 2 >= entries.count {
                entries.removeFirst(head)
                head = 0
            }
            return entry
        }
    }

    private var buckets: [Int: Bucket] = [:]
    /// Priorities that have a bucket, highest first.
    private var priorities: [Int] = []
    /// Live entries in all buckets.
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// How many live tasks a task of `priority` pushed now would have ahead of it.
    func ahead(of priority: Int) -> Int {
        var ahead = 0
        for other in priorities {
            guard other >= priority else { break }
            ahead += buckets[other]?.live ?? 0
        }
        return ahead
    }

    /// Appends a task and returns how many live tasks are ahead of it.
    mutating func push(_ id: TaskID, ticket: UInt64, priority: Int) -> Int {
        let ahead = ahead(of: priority)
        if buckets[priority] == nil {
            let index = priorities.firstIndex { $0 < priority } ?? priorities.count
            priorities.insert(priority, at: index)
        }
        buckets[priority, default: Bucket()].entries.append(Entry(id: id, ticket: ticket))
        buckets[priority]!.live += 1
        count += 1
        return ahead
    }

    /// Forgets one live entry of `priority` (the engine stopped considering it queued).
    mutating func remove(priority: Int) {
        guard buckets[priority] != nil else { return }
        buckets[priority]!.live -= 1
        count -= 1
        if buckets[priority]!.live == 0 { dropBucket(priority) }
    }

    /// Takes the first live entry; `isLive` tells whether an entry is still queued.
    mutating func popFirst(isLive: (Entry) -> Bool) -> Entry? {
        while let priority = priorities.first {
            while let entry = buckets[priority]!.popFirst() {
                guard isLive(entry) else { continue }
                buckets[priority]!.live -= 1
                count -= 1
                if buckets[priority]!.live == 0 { dropBucket(priority) }
                return entry
            }
            dropBucket(priority)
        }
        return nil
    }

    private mutating func dropBucket(_ priority: Int) {
        buckets[priority] = nil
        priorities.removeAll { $0 == priority }
    }
}
