/// The last state of the most recent `capacity` tasks a node published, oldest forgotten first.
///
/// A ``ClusterEngine`` uses it to publish `.deleted` for a task another node deleted (it can no longer be read)
/// and to skip publishing a state it already published.
struct RememberedTasks {
    private var records: [TaskID: (record: TaskRecord, stamp: UInt64)] = [:]
    /// Ids in the order they were last noted; entries whose stamp is stale are skipped when forgetting.
    private var order: [(id: TaskID, stamp: UInt64)] = []
    private var head = 0
    private var nextStamp: UInt64 = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(0, capacity) }

    subscript(id: TaskID) -> TaskRecord? { records[id]?.record }

    /// Every task remembered, in no order: what a full resynchronisation re-reads.
    var ids: [TaskID] { Array(records.keys) }

    mutating func note(_ record: TaskRecord) {
        guard capacity > 0 else { return }
        nextStamp += 1
        records[record.id] = (record, nextStamp)
        order.append((record.id, nextStamp))
        while records.count > capacity, head < order.count {
            let oldest = order[head]
            head += 1
            if records[oldest.id]?.stamp == oldest.stamp { records[oldest.id] = nil }
        }
        if order.count - head > capacity * 2 + 1024 {
            // Noting the same tasks again and again leaves stale entries: keep only the current ones.
            order = records.map { ($0.key, $0.value.stamp) }.sorted { $0.stamp < $1.stamp }
            head = 0
        } else if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    mutating func forget(_ id: TaskID) { records[id] = nil }
}
