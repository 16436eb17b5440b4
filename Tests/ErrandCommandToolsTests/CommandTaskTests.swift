import Errand
import ErrandCommandTools
import ErrandEngine
import ErrandProtocol
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Command tools run as tasks by the engine: its cancel, timeout and shutdown reach the process group.
@Suite(.timeLimit(.minutes(1))) struct CommandTaskTests {
    /// An engine running the tools of `yaml` through a CatalogRunner, started.
    func engine(_ yaml: String) async throws -> TaskEngine {
        var catalog = Catalog()
        for tool in try CommandToolFile.parse(yaml: yaml, source: "test.yaml") { catalog.add(tool) }
        let engine = TaskEngine(
            store: MemoryTaskStore(), runner: CatalogRunner(catalog: catalog, logger: Logger(label: "test")))
        try await engine.start()
        return engine
    }

    /// A tool `stubborn` whose grandchild ignores SIGTERM; both write their pids under `directory`.
    func stubbornTool(_ directory: String, _ extra: String = "") -> String {
        let script =
            "sh -c 'trap \\\"\\\" TERM; echo $$ > \(directory)/grandchild; exec sleep 300' & echo $$ > \(directory)/leader; echo @progress 1/2 started; wait"
        return """
            tools:
              - name: stubborn
                command: [sh, -c, "\(script)"]
                grace: 200ms
            \(extra.isEmpty ? "" : "    " + extra)
            """
    }

    func submit(_ engine: TaskEngine, _ target: String) async throws -> TaskRecord {
        try await engine.submit(
            TaskSubmission(kind: .toolCall, target: target, arguments: [:], owner: .anonymous))
    }

    func pids(_ directory: String) async throws -> [pid_t] {
        [try await waitForPid(in: directory + "/leader"), try await waitForPid(in: directory + "/grandchild")]
    }

    @Test func engineCancelKillsTheGroup() async throws {
        let directory = try temporaryDirectory()
        let engine = try await engine(stubbornTool(directory))
        let record = try await submit(engine, "stubborn")
        let running = try await pids(directory)
        // The progress line reached the task record.
        #expect(await eventually { (try? await engine.task(record.id, for: .anonymous).progress?.current) == 1 })
        let cancelled = try await engine.cancel(record.id, for: .anonymous)
        #expect(cancelled.status == .cancelled)
        #expect(await eventually { running.allSatisfy(processIsGone) })
        await engine.shutdown()
    }

    @Test func engineTimeoutFailsTheTaskAndKillsTheGroup() async throws {
        let directory = try temporaryDirectory()
        let engine = try await engine(stubbornTool(directory, "timeout: 3s"))
        let record = try await submit(engine, "stubborn")
        let running = try await pids(directory)
        let ended = try await engine.waitForTerminal(record.id, for: .anonymous, timeout: .seconds(20))
        #expect(ended.status == .failed)
        #expect(ended.statusMessage?.contains("timed out after") == true, "\(ended.statusMessage ?? "")")
        #expect(await eventually { running.allSatisfy(processIsGone) })
        await engine.shutdown()
    }

    @Test func shutdownReturnsOnlyOnceTheGroupIsGone() async throws {
        let directory = try temporaryDirectory()
        let engine = try await engine(stubbornTool(directory))
        _ = try await submit(engine, "stubborn")
        let running = try await pids(directory)
        await engine.shutdown()
        #expect(running.allSatisfy(processIsGone))
    }

    @Test func aFailedAttemptIsRetried() async throws {
        let directory = try temporaryDirectory()
        let script = "if [ -e \(directory)/once ]; then echo second; else touch \(directory)/once; exit 1; fi"
        let engine = try await engine(
            """
            tools:
              - name: flaky
                command: [sh, -c, "\(script)"]
                retries: 1
            """)
        let record = try await submit(engine, "flaky")
        let ended = try await engine.waitForTerminal(record.id, for: .anonymous, timeout: .seconds(20))
        #expect(ended.status == .completed)
        #expect(ended.attempt == 2)
        guard case .result(let result)? = ended.outcome else {
            Issue.record("no result: \(String(describing: ended.outcome))")
            return
        }
        #expect(result["content"]?.arrayValue?.first?["text"] == "second\n")
        await engine.shutdown()
    }

    @Test func anInteractiveToolAsksThroughTheEngine() async throws {
        let engine = try await engine(
            #"""
            tools:
              - name: ask
                command: [sh, -c, "echo '@input {{\"message\": \"Name?\"}}'; read answer; echo got $answer"]
                interactive: true
            """#)
        let record = try await submit(engine, "ask")
        #expect(await eventually { (try? await engine.task(record.id, for: .anonymous).status) == .inputRequired })
        try await engine.provideInput(taskID: record.id, requestID: "\(record.id)-in-1", response: ["name": "Ada"])
        let ended = try await engine.waitForTerminal(record.id, for: .anonymous, timeout: .seconds(20))
        #expect(ended.status == .completed)
        guard case .result(let result)? = ended.outcome else {
            Issue.record("no result: \(String(describing: ended.outcome))")
            return
        }
        #expect(result["content"]?.arrayValue?.first?["text"]?.stringValue == #"got {"name":"Ada"}"# + "\n")
        await engine.shutdown()
    }
}
