/// The tables behind ``MemoryTaskStore``: tasks in a dense array, a hash index of 4-byte slots into it, and
/// the newest-first order as 4-byte indices. About 70 bytes of bookkeeping per task, against ~170 for a
/// `Dictionary` plus a sorted array of keys.
struct MemoryTaskIndex {
    struct Entry {
        var key: CompactTaskKey
        var createdAt: Int64
        /// `Int64.max` when the task never expires.
        var expiresAt: Int64
        var bytes: [UInt8]
        var status: TaskStatus
        var isLive: Bool

        static let dead = Entry(
            key: CompactTaskKey(TaskID(uuidHigh: 0, low: 0)), createdAt: 0, expiresAt: .max, bytes: [],
            status: .cancelled, isLive: false)
    }

    /// Whether (`createdAt`, `key`) comes before (`otherCreatedAt`, `otherKey`) newest first: a larger
    /// `createdAt`, then a larger id.
    static func newer(_ createdAt: Int64, _ key: CompactTaskKey, than otherCreatedAt: Int64, _ otherKey: CompactTaskKey)
        -> Bool
    {
        createdAt != otherCreatedAt ? createdAt > otherCreatedAt : otherKey < key
    }

    private static let empty: Int32 = -1
    private static let deleted: Int32 = -2

    private(set) var entries: [Entry] = []
    /// Indices of dead entries, for reuse.
    private var free: [Int32] = []
    /// Open addressing with linear probing; a power of two long, at most 3/4 used (live + deleted).
    private var slots = [Int32](repeating: MemoryTaskIndex.empty, count: 16)
    private var usedSlots = 0
    /// Live entry indices, oldest first.
    private(set) var order: [Int32] = []
    private(set) var count = 0

    /// The slot holding `key`, or the first free slot of its probe sequence.
    private func probe(_ key: CompactTaskKey) -> (slot: Int, found: Bool) {
        let mask = slots.count - 1
        var slot = key.hashValue & mask
        var firstDeleted: Int?
        while true {
            let value = slots[slot]
            if value == Self.empty { return (firstDeleted ?? slot, false) }
            if value == Self.deleted {
                if firstDeleted == nil { firstDeleted = slot }
            } else if entries[Int(value)].key == key {
                return (slot, true)
            }
            slot = (slot + 1) & mask
        }
    }

    func index(of key: CompactTaskKey) -> Int? {
        let (slot, found) = probe(key)
        return found ? Int(slots[slot]) : nil
    }

    subscript(index: Int) -> Entry {
        get { entries[index] }
        _modify { yield &entries[index] }
    }

    /// Adds an entry whose key is not present yet.
    mutating func insert(_ entry: Entry) {
        if (usedSlots + 1) * 4 > slots.count * 3 { rehash() }
        let index: Int32
        if let reused = free.popLast() {
            index = reused
            entries[Int(index)] = entry
        } else {
            index = Int32(entries.count)
            entries.append(entry)
        }
        let (slot, _) = probe(entry.key)
        if slots[slot] == Self.empty { usedSlots += 1 }
        slots[slot] = index
        count += 1
        if let last = order.last.map({ entries[Int($0)] }),
            !Self.newer(entry.createdAt, entry.key, than: last.createdAt, last.key)
        {
            order.insert(index, at: boundary(createdAt: entry.createdAt, key: entry.key))
        } else {
            order.append(index)
        }
    }

    /// Removes the entry of `key` and returns it.
    mutating func remove(_ key: CompactTaskKey) -> Entry? {
        let (slot, found) = probe(key)
        guard found else { return nil }
        let index = Int(slots[slot])
        let entry = entries[index]
        slots[slot] = Self.deleted
        let position = boundary(createdAt: entry.createdAt, key: entry.key)
        if position < order.count, order[position] == Int32(index) { order.remove(at: position) }
        entries[index] = .dead
        free.append(Int32(index))
        count -= 1
        return entry
    }

    /// Removes many entries at once (one pass over the order instead of one shift per entry).
    mutating func remove(_ keys: [CompactTaskKey]) -> [Entry] {
        guard keys.count > 16 else { return keys.compactMap { remove($0) } }
        var removed: [Entry] = []
        var dead = Set<Int32>()
        for key in keys {
            let (slot, found) = probe(key)
            guard found else { continue }
            let index = slots[slot]
            removed.append(entries[Int(index)])
            slots[slot] = Self.deleted
            entries[Int(index)] = .dead
            free.append(index)
            dead.insert(index)
            count -= 1
        }
        order.removeAll { dead.contains($0) }
        return removed
    }

    /// Changes an entry's `createdAt`, moving it to its new place in the order.
    mutating func setCreatedAt(_ createdAt: Int64, at index: Int) {
        let entry = entries[index]
        let old = boundary(createdAt: entry.createdAt, key: entry.key)
        if old < order.count, order[old] == Int32(index) { order.remove(at: old) }
        entries[index].createdAt = createdAt
        order.insert(Int32(index), at: boundary(createdAt: createdAt, key: entry.key))
    }

    /// The number of positions in `order` older than (`createdAt`, `key`): where it is, or would be inserted.
    func boundary(createdAt: Int64, key: CompactTaskKey) -> Int {
        var low = 0
        var high = order.count
        while low < high {
            let middle = (low + high) / 2
            let entry = entries[Int(order[middle])]
            if Self.newer(createdAt, key, than: entry.createdAt, entry.key) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private mutating func rehash() {
        var size = 16
        while size * 3 < (count + 1) * 8 { size *= 2 }  // live entries fill at most 3/8 after a rehash
        slots = [Int32](repeating: Self.empty, count: size)
        usedSlots = 0
        for (index, entry) in entries.enumerated() where entry.isLive {
            let (slot, _) = probe(entry.key)
            slots[slot] = Int32(index)
            usedSlots += 1
        }
    }
}
