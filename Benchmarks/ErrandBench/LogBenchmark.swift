import Errand
import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import ErrandSQLite
import Glibc
import Logging

/// `ErrandBench log [--lines N] [--store memory|sqlite]`: the log throughput of one chatty task — a tool that logs
/// N lines as fast as it can while a REST follower (`GET /api/tasks/{id}/log?follow=1`, in process) reads them.
///
/// Prints lines/s logged (the handler's loop, publish included), lines/s the follower received, how many it
/// received (every line, in order, or the run fails), and what was stored (the newest lines, bounded).
enum LogBenchmark {
    static func main(_ arguments: ArraySlice<String>) async throws {
        var lines = 200_000
        var storeKind = "sqlite"
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--lines":
                guard let value = iterator.next().flatMap(Int.init), value > 0 else {
                    throw BenchError("--lines needs a positive count")
                }
                lines = value
            case "--store":
                guard let value = iterator.next(), ["memory", "sqlite"].contains(value) else {
                    throw BenchError("--store needs memory or sqlite")
                }
                storeKind = value
            default: throw BenchError("unknown option \(argument) (log: --lines N, --store memory|sqlite)")
            }
        }
        let total = lines
        let logged = Clock()
        var catalog = Catalog(defaultTaskSupport: .optional)
        catalog.add(
            Tool(name: "chatty", description: "Logs as fast as it can.") { _, context in
                logged.start()
                for n in 1...total { await context.log("line \(n) of \(total): the quick brown fox") }
                logged.stop()
                return .text("done")
            })
        let directory = "/tmp/errand-log-bench-\(getpid())"
        let store: any TaskStore
        var sqlite: SQLiteTaskStore?
        if storeKind == "sqlite" {
            let opened = try SQLiteTaskStore(
                path: directory + "/tasks.sqlite",
                logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
            sqlite = opened
            store = opened
        } else {
            store = MemoryTaskStore()
        }
        var configuration = ErrandConfiguration()
        configuration.publicDirectory = nil
        configuration.streamLimits.maxBufferedEvents = total + 16  // measure the path, not the slow-reader policy
        let application = ErrandApplication(
            configuration: configuration, catalog: catalog, store: store,
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await application.start()
        let engine = application.engine
        let record = try await engine.submit(
            TaskSubmission(kind: .toolCall, target: "chatty", arguments: [:], owner: .anonymous))
        let request = HTTPRequest(
            method: "GET", target: "/api/tasks/\(record.id)/log?follow=1", headers: ["Host": "127.0.0.1:8080"])
        let response: HTTPResponse
        switch application.reply(to: request) {
        case .immediate(let immediate): response = immediate
        case .deferred(let body): response = await body()
        }
        guard case .eventStream(let stream) = response.body else { throw BenchError("the log did not stream") }
        let received = Clock()
        received.start()
        var count = 0
        var last: UInt64 = 0
        var inOrder = true
        while let event = await stream.next() {
            guard event.event == "log", let id = event.id.flatMap(UInt64.init) else { continue }
            if id != last + 1 { inOrder = false }
            last = id
            count += 1
        }
        received.stop()
        let stored = try await engine.task(record.id, for: .anonymous).log
        await application.shutdown()
        try await sqlite?.close()
        _ = system("rm -rf '\(directory)'")

        print("log throughput of one task (\(storeKind) store, \(grouped(Int64(total))) lines, debug/release as built)")
        print("  logged:   \(fixed(Double(total) / logged.seconds, 0)) lines/s (\(fixed(logged.seconds, 2)) s)")
        print("  followed: \(fixed(Double(count) / received.seconds, 0)) lines/s, \(count) of \(total) received")
        print(
            "  stored:   \(stored.lines.count) newest lines kept, \(stored.droppedLines) dropped, last \(stored.lastSequence)"
        )
        guard count == total, inOrder, stored.lastSequence == UInt64(total) else {
            throw BenchError("lines were lost or reordered: received \(count) of \(total), in order: \(inOrder)")
        }
    }

    /// A stopwatch shared with a tool handler.
    final class Clock: @unchecked Sendable {
        private var begin = ContinuousClock.now
        private var end = ContinuousClock.now
        func start() { begin = .now }
        func stop() { end = .now }
        var seconds: Double {
            let (whole, attos) = (end - begin).components
            return Double(whole) + Double(attos) / 1e18
        }
    }
}
