// CommandToolsBench: what running a program through a command tool costs, against the same program run by a
// shell loop and by bare posix_spawn + waitpid, in one run. Build and run in release:
//
//     swift build -c release --product CommandToolsBench && .build/release/CommandToolsBench [--runs N] [--rounds R]
//
// (scripts/bench-command-tools.sh does both.) Each figure is N runs of `true` (default 1000):
// 1. a shell loop, `sh -c 'while ...; do true-binary; done'` (itself started once through a command tool);
// 2. posix_spawn + waitpid, one at a time, from Swift;
// 3. swift-subprocess's run alone (output discarded), one at a time, for where the handler's cost lies;
// 4. the command tool handler (`command: [true]`) called N times one after another, as CatalogRunner calls it;
// 5. the same N calls, 8 at a time.
// The five are measured in turn, R rounds (default 5), and the medians are reported: wall time per run (and its
// difference to the shell loop), and this process's own CPU time per run (user + system, children excluded),
// which is the load a command tool puts on the server and is far less noisy on a shared machine.
import Errand
import ErrandCommandTools
import ErrandEngine
import ErrandProtocol
import Glibc
import Logging
import Subprocess
import SystemPackage

/// The value of option `name`, or `fallback`.
func option(_ name: String, _ fallback: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count,
        let value = Int(arguments[index + 1]), value > 0
    else { return fallback }
    return value
}

let runs = option("--runs", 1000)
let rounds = option("--rounds", 5)

/// The `true` binary, so the shell loop cannot use its builtin.
let trueBinary = ["/usr/bin/true", "/bin/true"].first { (path: String) in access(path, X_OK) == 0 } ?? "/usr/bin/true"

func line(_ text: String) {
    var bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
}

/// Wall time and this process's own CPU time (user + system) of one measurement.
struct Sample: Comparable {
    var wall: Duration
    var cpu: Double
    static func < (lhs: Sample, rhs: Sample) -> Bool { lhs.wall < rhs.wall }
}

/// User + system CPU seconds this process (not its children) has used.
func processCPU() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func sample(_ body: () async -> Void) async -> Sample {
    let cpu = processCPU()
    let wall = await ContinuousClock().measure { await body() }
    return Sample(wall: wall, cpu: processCPU() - cpu)
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func report(_ label: String, _ samples: [Sample], baseline: [Sample]? = nil) {
    let total = seconds(median(samples.map(\.wall)))
    let cpu = median(samples.map(\.cpu))
    var text = label.padding(40) + format3(total * 1e6 / Double(runs)).padding(10, left: true) + " µs/run wall"
    if let baseline {
        let over = (total - seconds(median(baseline.map(\.wall)))) * 1e6 / Double(runs)
        text += ((over >= 0 ? "+" : "") + format3(over)).padding(10, left: true) + " vs shell"
    } else {
        text += String(repeating: " ", count: 19)
    }
    text += format3(cpu * 1e6 / Double(runs)).padding(10, left: true) + " µs/run server CPU"
    line(text)
}

func median<Value: Comparable>(_ values: [Value]) -> Value { values.sorted()[values.count / 2] }

func format3(_ value: Double) -> String {
    let scaled = (value * 10).rounded() / 10
    return String(scaled)
}

extension String {
    func padding(_ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - count))
        return left ? fill + self : self + fill
    }
}

let context = ToolContext(logger: Logger(label: "bench"), progress: { _ in })
let yaml = """
    tools:
      - name: true_tool
        command: ["\(trueBinary)"]
      - name: shell_loop
        command: [sh, -c, "i=0; while [ $i -lt \(runs) ]; do \(trueBinary); i=$((i+1)); done"]
    """
let tools = try CommandToolFile.parse(yaml: yaml, source: "bench")
var catalog = Catalog()
for tool in tools { catalog.add(tool) }
let runner = CatalogRunner(catalog: catalog, logger: Logger(label: "bench"))
let trueTool = tools[0]
let shellLoop = tools[1]

func callTrue() async {
    let output = await runner.callTool(trueTool, arguments: [:], context: context)
    if output.isError { line("error: \(output.firstText ?? "?")") }
}

line("CommandToolsBench: \(runs) runs of \(trueBinary), \(ProcessInfoCores.count) cores")
for _ in 0..<20 { await callTrue() }  // warm-up

func shellLoopRun() async -> Sample {
    await sample { _ = await runner.callTool(shellLoop, arguments: [:], context: context) }
}

func spawnRun() async -> Sample {
    await sample {
        let path = trueBinary
        for _ in 0..<runs {
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
            defer { for pointer in argv { free(pointer) } }
            guard posix_spawn(&pid, path, nil, nil, argv, environ) == 0 else { continue }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }
}

func subprocessRun() async -> Sample {
    await sample {
        for _ in 0..<runs {
            do {
                _ = try await Subprocess.run(.path(FilePath(trueBinary)), output: .discarded)
            } catch {
                line("error: \(error)")
            }
        }
    }
}

func sequentialRun() async -> Sample {
    await sample { for _ in 0..<runs { await callTrue() } }
}

func concurrentRun() async -> Sample {
    await sample {
        await withTaskGroup(of: Void.self) { group in
            var started = 0
            while started < min(8, runs) {
                group.addTask { await callTrue() }
                started += 1
            }
            for await _ in group where started < runs {
                group.addTask { await callTrue() }
                started += 1
            }
        }
    }
}

// Rounds interleave the measurements so that load from elsewhere hits them alike; medians are reported.
var shell: [Sample] = []
var spawn: [Sample] = []
var subprocess: [Sample] = []
var sequential: [Sample] = []
var concurrent: [Sample] = []
func ms(_ samples: [Sample]) -> String { format3(seconds(samples.last!.wall) * 1000) + " ms" }
for round in 1...rounds {
    shell.append(await shellLoopRun())
    spawn.append(await spawnRun())
    subprocess.append(await subprocessRun())
    sequential.append(await sequentialRun())
    concurrent.append(await concurrentRun())
    line(
        "round \(round): shell \(ms(shell)), posix_spawn \(ms(spawn)), Subprocess.run \(ms(subprocess)), "
            + "handler \(ms(sequential)), handler x8 \(ms(concurrent))")
}

line("medians of \(rounds) rounds (server CPU: user + system time of this process, not of the children):")
report("shell loop (sh while-loop)", shell)
report("posix_spawn + waitpid, sequential", spawn, baseline: shell)
report("Subprocess.run alone, sequential", subprocess, baseline: shell)
report("command tool handler, sequential", sequential, baseline: shell)
report("command tool handler, 8 at a time", concurrent, baseline: shell)

/// Online CPU count.
enum ProcessInfoCores {
    static var count: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
