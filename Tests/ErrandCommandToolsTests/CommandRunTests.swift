import Errand
import ErrandCommandTools
import ErrandEngine
import ErrandProtocol
import Logging
import Testing

/// Real processes: results, progress, logs, exit codes, limits, the environment.
@Suite struct CommandRunTests {
    @Test func progressLinesReachTheProgressSinkAndStderrTheLog() async throws {
        let tool = try commandTool(
            #"[sh, -c, "echo @progress 1/2 half; echo out; echo err >&2; echo '@progress 3'; echo '@progress x'; echo done"]"#
        )
        let recorder = RecordingContext()
        let output = await call(tool, context: recorder.context)
        #expect(!output.isError)
        #expect(output.text == "out\n@progress x\ndone\n")
        #expect(
            recorder.progress == [
                TaskProgress(current: 1, total: 2, message: "half"), TaskProgress(current: 3, total: nil, message: nil),
            ])
        #expect(recorder.log == ["err"])
    }

    @Test func aFailingExitIsAnErrorWithTheCodeAndTheEndOfStderr() async throws {
        let tool = try commandTool(
            #"[sh, -c, "i=0; while [ $i -lt 30 ]; do echo line$i >&2; i=$((i+1)); done; echo partial; exit 3"]"#)
        let recorder = RecordingContext()
        let output = await call(tool, context: recorder.context)
        #expect(output.isError)
        #expect(output.text.hasPrefix("'sh' exited with code 3; the end of its stderr:\nline10\n"))
        #expect(output.text.hasSuffix("line29"))
        #expect(!output.text.contains("line9\n"))
        #expect(recorder.log.count == 30)
    }

    @Test func aMissingProgramIsAClearError() async throws {
        let byName = await call(try commandTool("[no-such-program-errand, x]"))
        #expect(byName.isError)
        #expect(byName.text == "program 'no-such-program-errand' not found")
        let byPath = await call(try commandTool("[/nonexistent/bin/tool]"))
        #expect(byPath.isError)
        #expect(byPath.text.contains("'/nonexistent/bin/tool'"))
    }

    @Test func theEnvironmentIsCleanPlusTheToolsOwn() async throws {
        // `env` run directly (no shell adding PWD or SHLVL) prints exactly what the command got: nothing else of
        // the test process's environment (no setenv here: it races getenv in tests running alongside).
        let tool = try commandTool("[env]", "env: {EXTRA: \"1\", LANG: C.UTF-8}")
        let output = await call(tool)
        let names = Set(
            output.text.split(separator: "\n").compactMap { $0.split(separator: "=").first.map(String.init) })
        #expect(names.isSubset(of: ["PATH", "HOME", "LANG", "EXTRA"]), "\(names)")
        #expect(output.text.contains("EXTRA=1\n"))
        #expect(output.text.contains("LANG=C.UTF-8\n"))
        #expect(names.contains("PATH"))
    }

    @Test func theCommandLeadsItsOwnSessionAndProcessGroup() async throws {
        // Fields 5 and 6 of /proc/PID/stat are the process group and the session.
        let output = await call(try commandTool(#"[sh, -c, "echo $$ $(cut -d' ' -f5,6 /proc/$$/stat)"]"#))
        let fields = output.text.split(whereSeparator: \.isWhitespace)
        #expect(fields.count == 3)
        #expect(Set(fields).count == 1, "pid, process group and session differ: \(output.text)")
    }

    @Test func theWorkingDirectoryIsTheToolsCwd() async throws {
        let directory = try temporaryDirectory()
        let output = await call(try commandTool("[pwd]", "cwd: \(directory)"))
        #expect(output.text == directory + "\n")
        let missing = await call(try commandTool("[pwd]", "cwd: /nonexistent/dir"))
        #expect(missing.isError)
        #expect(missing.text.contains("/nonexistent/dir"))
    }

    @Test func outputBeyondTheCapIsTruncatedWithAMarker() async throws {
        let limits = CommandToolLimits(maxOutputBytes: 1000, maxLineBytes: 100)
        // 20,000 lines of 10 bytes: far past the cap, which must not be held.
        let tool = try commandTool(#"[sh, -c, "yes 123456789 | head -n 20000"]"#, limits: limits)
        let output = await call(tool)
        #expect(!output.isError)
        #expect(output.text.hasPrefix("123456789\n"))
        #expect(output.text.hasSuffix("[output truncated: 199000 more bytes not kept (limit 1000 bytes)]"))
        #expect(output.text.utf8.count < 1100)
    }

    @Test func aLongLineIsCut() async throws {
        let limits = CommandToolLimits(maxLineBytes: 50)
        let tool = try commandTool(
            #"[sh, -c, "head -c 100000 /dev/zero | tr '\\0' a; echo; echo next"]"#, limits: limits)
        let output = await call(tool)
        #expect(output.text == String(repeating: "a", count: 50) + " [line truncated]\nnext\n")
    }

    @Test func theResultKeepsAnUnterminatedLastLine() async throws {
        let output = await call(try commandTool("[printf, \"a\\nb\"]"))
        #expect(output.text == "a\nb")
    }

    @Test func inputRequestsAreAnsweredOnStdin() async throws {
        let tool = try commandTool(
            #"[sh, -c, "echo '@input {{\"message\": \"Name?\"}}'; read answer; echo got $answer"]"#, "interactive: true"
        )
        let recorder = RecordingContext(answers: [["action": "accept", "content": ["name": "Ada"]]])
        let output = await call(tool, context: recorder.context)
        #expect(recorder.requests == [["message": "Name?"]])
        #expect(output.text == #"got {"action":"accept","content":{"name":"Ada"}}"# + "\n")
    }

    @Test func anAnswerToACommandThatAlreadyExitedIsDropped() async throws {
        let tool = try commandTool(
            #"[sh, -c, "exec 0<&-; echo '@input {{\"message\": \"Name?\"}}'; echo bye"]"#, "interactive: true")
        let recorder = RecordingContext(answers: [["action": "accept"]])
        let output = await call(tool, context: recorder.context)
        #expect(recorder.requests == [["message": "Name?"]])
        #expect(output.text == "bye\n")
    }

    @Test func aPlainCallOfAnInteractiveToolFailsWhenItAsks() async throws {
        let tool = try commandTool(#"[sh, -c, "echo '@input {{}}'; read answer; echo $answer"]"#, "interactive: true")
        let context = ToolContext(logger: Logger(label: "test"), progress: { _ in })
        let output = await call(tool, context: context)
        #expect(output.isError)
        #expect(output.text == "This call cannot ask the client for input")
    }

    @Test func stdinIsEmptyForOrdinaryTools() async throws {
        let output = await call(try commandTool("[wc, -c]"))
        #expect(output.text.trimmingPrefix(while: { $0 == " " }) == "0\n")
    }
}

extension String {
    func trimmingPrefix(while predicate: (Character) -> Bool) -> Substring { self.drop(while: predicate) }
}
