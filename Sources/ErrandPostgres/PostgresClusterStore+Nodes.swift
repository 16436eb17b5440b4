public import ErrandEngine
import PostgresNIO

// Node heartbeats: one row per node in `errand_nodes`, written every third of a lease.
extension PostgresClusterStore {
    public func recordHeartbeat(_ heartbeat: NodeHeartbeat) async throws {
        let node = ClusterSignalPayload.sanitizedNode(heartbeat.node)
        _ = try await committedRows(
            """
            INSERT INTO errand_nodes (node, worker_slots, running, seen_at)
            VALUES (\(node), \(Int64(heartbeat.workerSlots)), \(Int64(heartbeat.running)), \(heartbeat.seenAtMs))
            ON CONFLICT (node) DO UPDATE SET worker_slots = excluded.worker_slots, running = excluded.running,
                seen_at = excluded.seen_at
            """)
    }

    public func heartbeats(seenAfterMs: Int64) async throws -> [NodeHeartbeat] {
        let rows = try await rows(
            """
            SELECT node, worker_slots::bigint, running::bigint, seen_at FROM errand_nodes
            WHERE seen_at > \(seenAfterMs) ORDER BY node
            """)
        return try rows.map { row in
            let (node, slots, running, seenAt) = try row.decode((String, Int64, Int64, Int64).self)
            return NodeHeartbeat(node: node, workerSlots: Int(slots), running: Int(running), seenAtMs: seenAt)
        }
    }

    public func removeHeartbeat(node: String) async throws {
        _ = try await committedRows("DELETE FROM errand_nodes WHERE node = \(ClusterSignalPayload.sanitizedNode(node))")
    }
}
