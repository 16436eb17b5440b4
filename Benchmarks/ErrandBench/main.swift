// ErrandBench: in-process benchmarks of the task engine (memory store, no-op runner) and of the MCP layer
// without sockets. Build and run in release:
//
//     swift build -c release --product ErrandBench && .build/release/ErrandBench [--json FILE]
//
// Options: --tasks N (sequential submits, default 100000), --idle N (one-at-a-time tasks, 10000),
// --submitters N (50), --seconds S (throughput run, 5), --mcp N (MCP-layer submits, 20000; 0 skips),
// --json FILE (also write the figures as JSON), --postgres URL (also two ClusterEngine nodes on that PostgreSQL
// database: cross-node pickup of --idle tasks and throughput; needs `--traits Postgres`). Performance targets are
// checked here, never in unit tests.
//
// `ErrandBench stores [OPTIONS]` instead compares the stores side by side: memory (TaskEngine, and one ClusterEngine
// node over MemoryClusterStore), SQLite (NORMAL, FULL) and, with --postgres URL, PostgreSQL with one and with two
// ClusterEngine nodes (options in StoreOptions.swift;
// scripts/bench-stores.sh runs it against a throwaway PostgreSQL).
//
// `ErrandBench log [--lines N] [--store memory|sqlite]`: one task logging N lines while a REST follower reads them.
import ErrandEngine
import Glibc

struct Options {
    var tasks = 100_000
    var idle = 10_000
    var submitters = 50
    var seconds = 5.0
    var mcp = 20_000
    var json: String?
    var breakdown = false
    var postgres: String?

    init(_ arguments: [String]) throws {
        var iterator = arguments.dropFirst().makeIterator()
        func value(_ name: String) throws -> String {
            guard let value = iterator.next() else { throw BenchError("\(name) needs a value") }
            return value
        }
        func number(_ name: String) throws -> Int {
            guard let number = Int(try value(name)), number >= 0 else { throw BenchError("\(name) needs a count") }
            return number
        }
        while let argument = iterator.next() {
            switch argument {
            case "--tasks": tasks = try number(argument)
            case "--idle": idle = try number(argument)
            case "--submitters": submitters = try number(argument)
            case "--seconds":
                guard let seconds = Double(try value(argument)), seconds > 0 else {
                    throw BenchError("--seconds needs a positive number")
                }
                self.seconds = seconds
            case "--mcp": mcp = try number(argument)
            case "--json": json = try value(argument)
            case "--breakdown": breakdown = true
            case "--postgres":
                postgres = try value(argument)
                #if !Postgres
                    throw BenchError("--postgres needs a build with `--traits Postgres`")
                #endif
            default: throw BenchError("unknown option \(argument); see the comment at the top of main.swift")
            }
        }
    }
}

struct Row {
    var key: String
    var label: String
    var measured: String
    var target: String = ""
    var verdict: String = ""

    var json: String {
        "{\"key\":\"\(key)\",\"label\":\"\(label)\",\"measured\":\"\(measured)\",\"target\":\"\(target)\","
            + "\"verdict\":\"\(verdict)\"}"
    }
}

func verdict(_ met: Bool) -> String { met ? "met" : "NOT MET" }

/// A line on standard error (fd 2; the C `stderr` global is not concurrency-safe in Swift 6).
func progress(_ text: String) {
    var line = Array("ErrandBench: \(text)\n".utf8)
    _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}

if CommandLine.arguments.dropFirst().first == "log" {
    do {
        try await LogBenchmark.main(CommandLine.arguments.dropFirst(2))
        exit(0)
    } catch {
        progress("\(error)")
        exit(1)
    }
}

if CommandLine.arguments.dropFirst().first == "stores" {
    do {
        try await StoreComparison.main(try StoreOptions(CommandLine.arguments.dropFirst(2)))
        exit(0)
    } catch {
        progress("\(error)")
        exit(1)
    }
}

let options: Options
do {
    options = try Options(CommandLine.arguments)
} catch {
    progress("\(error)")
    exit(2)
}

var rows: [Row] = []
var raw: [String] = []
let mib = 1024.0

progress("\(grouped(Int64(options.tasks))) sequential submits (then RSS with every task retained)")
let sequential = try await EngineBenchmarks.sequential(count: options.tasks)
let submitP50 = sequential.submit.p50
rows.append(
    Row(
        key: "submit_p50", label: "submit latency p50 (sequential)", measured: duration(submitP50),
        target: "≤ 100 µs", verdict: verdict(submitP50 <= 100_000)))
rows.append(Row(key: "submit_p99", label: "submit latency p99 (sequential)", measured: duration(sequential.submit.p99)))
rows.append(
    Row(
        key: "pickup_burst_p50", label: "submit→handler pickup p50 (during that burst)",
        measured: duration(sequential.pickup.p50)))
rows.append(
    Row(
        key: "pickup_burst_p99", label: "submit→handler pickup p99 (during that burst)",
        measured: duration(sequential.pickup.p99)))
let burstRate = Double(options.tasks) / (Double(sequential.submit.count) * sequential.submit.mean / 1e9)
rows.append(
    Row(
        key: "burst_submit_rate", label: "burst: submits/s by one sequential submitter",
        measured: fixed(burstRate, 0) + "/s"))
rows.append(
    Row(
        key: "burst_drain", label: "burst: time from last submit to all completed",
        measured: fixed(sequential.drainSeconds * 1000, 1) + " ms"))
let rssAfter = Double(sequential.rssAfterKiB) / mib
rows.append(
    Row(
        key: "rss_before", label: "process RSS, engine started, no tasks",
        measured: fixed(Double(sequential.rssBeforeKiB) / mib, 1) + " MiB"))
rows.append(
    Row(
        key: "rss_after", label: "process RSS, \(grouped(Int64(options.tasks))) completed tasks retained",
        measured: fixed(rssAfter, 1) + " MiB", target: options.tasks == 100_000 ? "≤ 50 MiB" : "",
        verdict: options.tasks == 100_000 ? verdict(rssAfter <= 50) : ""))
let perTask = Double(sequential.rssAfterKiB - sequential.rssBeforeKiB) * 1024 / Double(max(options.tasks, 1))
rows.append(Row(key: "rss_per_task", label: "RSS growth per retained task", measured: fixed(perTask, 0) + " B"))
let livePerTask = Double(sequential.heapAfterBytes - sequential.heapBeforeBytes) / Double(max(options.tasks, 1))
rows.append(
    Row(
        key: "heap_per_task", label: "live heap per retained task (malloc_info)",
        measured: fixed(livePerTask, 0) + " B"))
rows.append(
    Row(
        key: "record_stride", label: "TaskRecord inline size (MemoryLayout stride)",
        measured: "\(MemoryLayout<TaskRecord>.stride) B"))
rows.append(
    Row(
        key: "rss_trimmed", label: "process RSS after malloc_trim(0)",
        measured: fixed(Double(sequential.rssTrimmedKiB) / mib, 1) + " MiB"))
raw.append(
    "\"sequential\":{\"tasks\":\(options.tasks),\"submit\":\(sequential.submit.json),"
        + "\"pickup\":\(sequential.pickup.json),\"rss_before_kib\":\(sequential.rssBeforeKiB),"
        + "\"rss_after_kib\":\(sequential.rssAfterKiB),\"rss_trimmed_kib\":\(sequential.rssTrimmedKiB),"
        + "\"heap_before_bytes\":\(sequential.heapBeforeBytes),\"heap_after_bytes\":\(sequential.heapAfterBytes),\"drain_s\":\(sequential.drainSeconds)}"
)

if options.breakdown {
    // Where the retained-task memory goes: a bare store holding the same records, and the engine with a
    // one-event replay window instead of the default.
    progress("breakdown: \(grouped(Int64(options.tasks))) completed records in a bare MemoryTaskStore")
    let storePerTask = try await EngineBenchmarks.storeOnly(count: options.tasks, sample: sequential.sample)
    progress("breakdown: \(grouped(Int64(options.tasks))) sequential submits with replayWindow 1")
    let narrow = try await EngineBenchmarks.sequential(count: options.tasks, replayWindow: 1)
    let narrowPerTask = Double(narrow.heapAfterBytes - narrow.heapBeforeBytes) / Double(max(options.tasks, 1))
    rows.append(
        Row(
            key: "heap_store_per_task", label: "  of which MemoryTaskStore alone (same records)",
            measured: fixed(storePerTask, 0) + " B"))
    rows.append(
        Row(
            key: "heap_ring_per_task", label: "  of which EventHub replay window (default 10,000)",
            measured: fixed(livePerTask - narrowPerTask, 0) + " B"))
    rows.append(
        Row(
            key: "heap_other_per_task", label: "  rest (engine maps, runtime)",
            measured: fixed(narrowPerTask - storePerTask, 0) + " B"))
    raw.append(
        "\"breakdown\":{\"store_bytes_per_task\":\(storePerTask),\"replay_window_1_bytes_per_task\":\(narrowPerTask)}")
}

if options.idle > 0 {
    progress("\(grouped(Int64(options.idle))) tasks one at a time (submit, then waitForTerminal)")
    let idle = try await EngineBenchmarks.oneAtATime(count: options.idle)
    rows.append(
        Row(
            key: "pickup_idle_p50", label: "submit→handler pickup p50 (idle engine)",
            measured: duration(idle.pickup.p50)))
    rows.append(
        Row(
            key: "pickup_idle_p99", label: "submit→handler pickup p99 (idle engine)",
            measured: duration(idle.pickup.p99), target: "≤ 1 ms", verdict: verdict(idle.pickup.p99 <= 1_000_000)))
    rows.append(
        Row(
            key: "complete_idle_p50", label: "submit→completed p50 (waitForTerminal)",
            measured: duration(idle.completed.p50)))
    rows.append(
        Row(
            key: "complete_idle_p99", label: "submit→completed p99 (waitForTerminal)",
            measured: duration(idle.completed.p99)))
    raw.append(
        "\"one_at_a_time\":{\"tasks\":\(options.idle),\"pickup\":\(idle.pickup.json),"
            + "\"completed\":\(idle.completed.json)}")
}

progress("\(options.submitters) concurrent submitters for \(options.seconds) s")
let schedulerBefore = schedulerNanoseconds()
let throughput = try await EngineBenchmarks.throughput(submitters: options.submitters, seconds: options.seconds)
let schedulerAfter = schedulerNanoseconds()
let cpuCores = Double(schedulerAfter.onCPU - schedulerBefore.onCPU) / 1e9 / throughput.seconds
let waitCores = Double(schedulerAfter.waiting - schedulerBefore.waiting) / 1e9 / throughput.seconds
rows.append(
    Row(
        key: "throughput", label: "tasks/s, \(options.submitters) submitters awaiting completion",
        measured: fixed(throughput.tasksPerSecond, 0) + "/s", target: "≥ 20,000/s",
        verdict: verdict(throughput.tasksPerSecond >= 20_000)))
rows.append(
    Row(
        key: "throughput_cpu", label: "  CPU used / waited for in that run (cores)",
        measured: fixed(cpuCores, 2) + " / " + fixed(waitCores, 2)))
rows.append(
    Row(
        key: "throughput_per_cpu", label: "  tasks per CPU-second (independent of other load)",
        measured: fixed(Double(throughput.completed) / max(cpuCores * throughput.seconds, 1e-9), 0) + "/s"))
rows.append(
    Row(
        key: "throughput_cycle_p99", label: "submit→completed p99 under that load",
        measured: duration(throughput.cycle.p99)))
raw.append(
    "\"throughput\":{\"submitters\":\(throughput.submitters),\"completed\":\(throughput.completed),"
        + "\"seconds\":\(throughput.seconds),\"tasks_per_s\":\(throughput.tasksPerSecond),\"cpu_cores\":\(cpuCores),\"wait_cores\":\(waitCores),\"cycle\":\(throughput.cycle.json)}"
)

#if Postgres
    if let url = options.postgres {
        progress("PostgreSQL: two nodes, \(options.idle) one-at-a-time tasks, then \(options.submitters) submitters")
        let cluster = try await ClusterBenchmarks.run(
            url: url, idle: options.idle, submitters: options.submitters, seconds: options.seconds)
        rows.append(
            Row(
                key: "postgres_pickup_p50", label: "PostgreSQL: submit on A → pickup on W p50 (NOTIFY)",
                measured: duration(cluster.pickup.p50)))
        rows.append(
            Row(
                key: "postgres_pickup_p99", label: "PostgreSQL: submit on A → pickup on W p99",
                measured: duration(cluster.pickup.p99)))
        rows.append(
            Row(
                key: "postgres_throughput",
                label: "PostgreSQL: tasks/s, \(options.submitters) submitters on A, run on W",
                measured: fixed(cluster.throughput.tasksPerSecond, 0) + "/s"))
        raw.append(
            "\"postgres\":{\"pickup\":\(cluster.pickup.json),\"tasks_per_s\":\(cluster.throughput.tasksPerSecond),"
                + "\"cycle\":\(cluster.throughput.cycle.json)}")
    }
#endif

if options.mcp > 0 {
    progress("\(grouped(Int64(options.mcp))) sequential submits through ErrandApplication.reply(to:)")
    let mcp = try await MCPLayerBenchmark.submit(count: options.mcp)
    rows.append(Row(key: "mcp_submit_p50", label: "MCP-layer submit p50 (no sockets)", measured: duration(mcp.p50)))
    rows.append(Row(key: "mcp_submit_p99", label: "MCP-layer submit p99 (no sockets)", measured: duration(mcp.p99)))
    raw.append("\"mcp_layer\":{\"submit\":\(mcp.json)}")
}

let width = rows.map(\.label.count).max() ?? 40
func pad(_ text: String, _ count: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, count - text.count))
    return right ? fill + text : text + fill
}
print("In-process engine (memory store, no-op runner), release build:")
print(
    pad("metric", width) + "  " + pad("measured", 12, right: true) + "  " + pad("target", 10, right: true) + "  verdict"
)
print(String(repeating: "-", count: width + 36))
for row in rows {
    print(
        pad(row.label, width) + "  " + pad(row.measured, 12, right: true) + "  " + pad(row.target, 10, right: true)
            + "  " + row.verdict)
}

if let path = options.json {
    let text =
        "{\"rows\":[" + rows.map(\.json).joined(separator: ",") + "],\"raw\":{" + raw.joined(separator: ",") + "}}\n"
    guard let file = fopen(path, "w") else {
        progress("cannot write \(path)")
        exit(1)
    }
    fputs(text, file)
    fclose(file)
}
