import Errand
import ErrandCommandTools
import ErrandProtocol
import Testing

/// Many command calls at once, and a tool's `concurrency` limit.
@Suite struct CommandConcurrencyTests {
    @Test func fiftyCallsAtOnceEachGetTheirOwnOutput() async throws {
        let tool = try commandTool("[echo, \"{n}\"]", "arguments: {n: {type: integer}}")
        let outputs = await withTaskGroup(of: (Int, ToolOutput).self) { group in
            for n in 0..<50 { group.addTask { (n, await call(tool, ["n": .int(Int64(n))])) } }
            var outputs: [Int: ToolOutput] = [:]
            for await (n, output) in group { outputs[n] = output }
            return outputs
        }
        #expect(outputs.count == 50)
        for (n, output) in outputs {
            #expect(!output.isError)
            #expect(output.text == "\(n)\n")
        }
    }

    @Test func theConcurrencyLimitIsRespected() async throws {
        let directory = try temporaryDirectory()
        // Each run appends "+" on start and "-" on end to one log (O_APPEND writes of a byte do not interleave).
        let script = "echo + >> \(directory)/log; sleep 0.05; echo - >> \(directory)/log"
        let tool = try commandTool("[sh, -c, \"\(script)\"]", "concurrency: 2")
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { #expect(!(await call(tool)).isError) } }
        }
        let log = try String(contentsOfFile: directory + "/log").split(separator: "\n")
        #expect(log.count == 16)
        var running = 0
        var most = 0
        for entry in log {
            running += entry == "+" ? 1 : -1
            most = max(most, running)
        }
        #expect(most <= 2)
        #expect(most >= 1)
    }

    @Test func aCallWaitingForASlotCanBeCancelled() async throws {
        let directory = try temporaryDirectory()
        let script = "echo $$ > \(directory)/first; while [ ! -e \(directory)/go ]; do sleep 0.02; done; echo first"
        let tool = try commandTool("[sh, -c, \"\(script)\"]", "concurrency: 1")
        let first = Task { await call(tool) }
        let started = await eventually { fileExists(directory + "/first") }
        try #require(started)
        let second = Task { await call(tool) }
        second.cancel()
        let cancelled = await second.value
        #expect(cancelled.isError)
        #expect(cancelled.text == "The call was cancelled")
        try "".write(toFile: directory + "/go")
        #expect(await first.value.text == "first\n")
        // The slot was handed back: a later call runs.
        #expect(await call(tool).text == "first\n")
    }
}
