import ErrandEngine
import ErrandHTTP
import ErrandProtocol

extension RESTAPI {
    /// `GET /api/stats`: how many tasks the caller may see, by status and by tool and status, over every node;
    /// and this server's queue depth, running attempts and worker slots.
    func stats(_ requester: TaskOwner) -> HTTPReply {
        Self.deferred { [self] () throws(Problem) in
            let tally: TaskTally
            do throws(TaskEngineError) {
                tally = try await engine.tally(for: requester)
            } catch {
                throw .engine(error)
            }
            let statistics = await engine.statistics()
            let byStatus = tally.byStatus
            var statuses: [String: JSONValue] = [:]
            for status in TaskStatus.allCases { statuses[status.rawValue] = .int(Int64(byStatus[status] ?? 0)) }
            var tools: [String: JSONValue] = [:]
            for (tool, counts) in tally.byTarget {
                var perStatus: [String: JSONValue] = [:]
                for (status, count) in counts { perStatus[status.rawValue] = .int(Int64(count)) }
                tools[tool] = .object(perStatus)
            }
            return Self.json(
                .object([
                    "total": .int(Int64(tally.total)),
                    "byStatus": .object(statuses),
                    "byTool": .object(tools),
                    "server": .object([
                        "queueDepth": .int(Int64(statistics.queued)),
                        "running": .int(Int64(statistics.running)),
                        "workerSlots": .int(Int64(engine.workerSlots)),
                    ]),
                ]), headers: ["Cache-Control": "no-store"])
        }
    }

    /// `GET /api/stats/series[?seconds=600]`: the last `seconds` one-second samples (oldest first, as columns) and
    /// per tool the p50/p95 run time of the tasks that ended in that span.
    func statsSeries(_ query: QueryParameters) -> HTTPResponse {
        var seconds = 600
        if let text = query["seconds"] {
            guard let value = Int(text), (1...series.capacity).contains(value) else {
                return Problem.badRequest("'seconds' must be an integer from 1 to \(series.capacity), not '\(text)'.")
                    .response
            }
            seconds = value
        }
        let (samples, since) = series.samples(last: seconds)
        func column(_ value: (TaskSeries.Sample) -> Int) -> JSONValue {
            .array(samples.map { .int(Int64(value($0))) })
        }
        let runTimes = series.runTimes(since: since).map { times -> JSONValue in
            .object([
                "tool": .string(times.tool), "count": .int(Int64(times.count)),
                "p50Ms": .int(times.p50Ms), "p95Ms": .int(times.p95Ms),
            ])
        }
        return Self.json(
            .object([
                "intervalSeconds": .int(1),
                "capacity": .int(Int64(series.capacity)),
                "at": .array(samples.map { .int($0.at) }),
                "submitted": column(\.submitted),
                "completed": column(\.completed),
                "failed": column(\.failed),
                "cancelled": column(\.cancelled),
                "queued": column(\.queued),
                "running": column(\.running),
                "runTimes": .array(runTimes),
            ]), headers: ["Cache-Control": "no-store"])
    }
}

extension RESTAPI {
    /// `GET /api/cluster`: the nodes serving the tasks — with PostgreSQL every node holding leases, what it runs,
    /// when it last renewed and whether it still does; with memory or SQLite the one server.
    func cluster() -> HTTPReply {
        Self.deferred { [self] () throws(Problem) in
            let nodes: [NodeReport]
            do throws(TaskEngineError) {
                nodes = try await engine.nodes()
            } catch {
                throw .engine(error)
            }
            let now = SystemEngineClock().nowMs()
            let mode = engine is ClusterEngine ? "cluster" : "single"
            return Self.json(
                .object(["mode": .string(mode), "nodes": .array(nodes.map { Self.nodeJSON($0, now: now) })]),
                headers: ["Cache-Control": "no-store"])
        }
    }

    static func nodeJSON(_ node: NodeReport, now: Int64) -> JSONValue {
        var body: [String: JSONValue] = [
            "name": .string(node.name), "self": .bool(node.isSelf), "renewing": .bool(node.isRenewing),
            "leases": .int(Int64(node.leases)),
            "running": .object(node.running.mapValues { .int(Int64($0)) }),
        ]
        if let slots = node.workerSlots { body["workerSlots"] = .int(Int64(slots)) }
        if let depth = node.queueDepth { body["queueDepth"] = .int(Int64(depth)) }
        if let renewed = node.lastRenewedAtMs { body["lastRenewedAgoMs"] = .int(max(0, now - renewed)) }
        if let end = node.earliestLeaseEndMs { body["leaseEndsInMs"] = .int(end - now) }
        return .object(body)
    }
}
