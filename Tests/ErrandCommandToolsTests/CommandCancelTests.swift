import Errand
import ErrandCommandTools
import ErrandProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Nothing a command starts outlives its call: cancel, timeout, or a normal end.
@Suite struct CommandCancelTests {
    @Test func cancelKillsTheWholeGroupIncludingAGrandchildThatIgnoresSIGTERM() async throws {
        let directory = try temporaryDirectory()
        let script =
            "sh -c 'trap \\\"\\\" TERM; echo $$ > \(directory)/grandchild; exec sleep 300' & echo $$ > \(directory)/leader; wait"
        let tool = try commandTool("[sh, -c, \"\(script)\"]", "grace: 300ms")
        let call = Task { await ErrandCommandToolsTests.call(tool) }
        let leader = try await waitForPid(in: directory + "/leader")
        let grandchild = try await waitForPid(in: directory + "/grandchild")
        #expect(!processIsGone(grandchild))
        let started = ContinuousClock.now
        call.cancel()
        let output = await call.value
        #expect(output.isError)
        #expect(output.text == "The call was cancelled")
        // Both are gone by the time the call returns, the grandchild after the grace period.
        #expect(processIsGone(leader))
        #expect(processIsGone(grandchild))
        #expect(ContinuousClock.now - started >= .milliseconds(250))
    }

    @Test func aGracefulChildGetsItsGraceToCleanUp() async throws {
        let directory = try temporaryDirectory()
        let script =
            "trap 'echo bye; echo bye >&2; echo cleaned > \(directory)/cleaned; exit 0' TERM; echo $$ > \(directory)/leader; while true; do sleep 0.05; done"
        let tool = try commandTool("[sh, -c, \"\(script)\"]", "grace: 5s")
        let call = Task { await ErrandCommandToolsTests.call(tool) }
        let leader = try await waitForPid(in: directory + "/leader")
        call.cancel()
        let output = await call.value
        #expect(output.text == "The call was cancelled")
        // The trap ran (and could still write; its stdout and stderr stay drained while it shuts down).
        #expect(fileExists(directory + "/cleaned"))
        #expect(processIsGone(leader))
    }

    @Test func theToolsTimeoutKillsTheGroupAndFailsTheCall() async throws {
        let directory = try temporaryDirectory()
        let script = "sleep 300 & echo $! > \(directory)/child; wait"
        // The timeout leaves room for a slow start on a loaded machine: the child must exist to be checked.
        let tool = try commandTool("[sh, -c, \"\(script)\"]", "timeout: 3s\ngrace: 200ms")
        let output = await call(tool)
        #expect(output.isError)
        #expect(output.text == "'sh' timed out after 3s and was killed")
        let child = try await waitForPid(in: directory + "/child")
        #expect(processIsGone(child))
    }

    @Test func aNormalEndKillsBackgroundedGrandchildren() async throws {
        let directory = try temporaryDirectory()
        // One background child lets go of stdout, the other keeps it open: neither may hold the call or survive.
        let script =
            "sleep 300 > /dev/null 2>&1 & echo $! > \(directory)/quiet; sleep 301 & echo $! > \(directory)/holder; echo done"
        let tool = try commandTool("[sh, -c, \"\(script)\"]")
        let output = await call(tool)
        #expect(output.text == "done\n")
        #expect(processIsGone(try await waitForPid(in: directory + "/quiet")))
        #expect(processIsGone(try await waitForPid(in: directory + "/holder")))
    }
}
