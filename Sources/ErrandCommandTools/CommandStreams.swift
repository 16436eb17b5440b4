import Errand
import ErrandEngine
import ErrandProtocol
import Subprocess

/// Reads a running command's stdout and stderr at once: progress lines to the progress sink, input requests to
/// the client, stderr lines to the task log, the rest into the bounded result.
struct CommandStreams {
    /// What the streams left behind when they ended.
    struct Collected: Sendable {
        var stdout: String
        var stderrTail: [String]
    }

    let limits: CommandToolLimits
    let context: ToolContext
    let watch: RunWatch
    /// Writes one line to the command's stdin; `nil` when the tool is not interactive.
    let answer: (@Sendable (String) async throws -> Void)?

    /// Reads both streams to their end in a task of its own, which cancelling the caller does not stop: while a
    /// cancelled command shuts down in its grace period its output is still drained, so it is not killed by
    /// SIGPIPE for writing a last line.
    func readUncancelled(
        stdout: SubprocessOutputSequence, stderr: SubprocessOutputSequence
    ) async throws -> Collected {
        let streams = self
        return try await Task { try await streams.read(stdout: stdout, stderr: stderr) }.value
    }

    /// Reads both streams to their end (or until the process is gone and its pipes are released).
    func read(stdout: SubprocessOutputSequence, stderr: SubprocessOutputSequence) async throws -> Collected {
        async let tail = readStderr(stderr)
        let output = try await readStdout(stdout)
        return Collected(stdout: output, stderrTail: try await tail)
    }

    private func readStdout(_ stream: SubprocessOutputSequence) async throws -> String {
        var splitter = LineSplitter(maxLineBytes: limits.maxLineBytes)
        var output = CommandOutput(maxBytes: limits.maxOutputBytes)
        for try await buffer in stream {
            for line in buffer.withUnsafeBytes({ splitter.append($0) }) {
                try await handleStdout(line, into: &output)
            }
        }
        if let last = splitter.finish() { try await handleStdout(last, into: &output) }
        return output.result
    }

    private func handleStdout(_ line: LineSplitter.Line, into output: inout CommandOutput) async throws {
        if !line.truncated, let progress = ProgressLine(line.text) {
            await context.progress(progress.current, total: progress.total, message: progress.message)
        } else if !line.truncated, let answer, let request = InputLine(line.text) {
            let reply = try await watch.requestInput(request.json, context: context)
            // A command that stopped reading (or exited) does not want the answer; its exit status tells the rest.
            try? await answer(JSONWriter.string(reply, options: .sortedKeys) + "\n")
        } else {
            output.append(line)
        }
    }

    private func readStderr(_ stream: SubprocessOutputSequence) async throws -> [String] {
        var splitter = LineSplitter(maxLineBytes: limits.maxLineBytes)
        var tail = StderrTail(capacity: limits.stderrTailLines)
        for try await buffer in stream {
            for line in buffer.withUnsafeBytes({ splitter.append($0) }) {
                tail.append(line.text)
                await context.log(line.text, level: .info)
            }
        }
        if let last = splitter.finish() {
            tail.append(last.text)
            await context.log(last.text, level: .info)
        }
        return tail.lines
    }
}

/// A stdout line `@input {JSON}`: an elicitation request to forward to the client.
struct InputLine {
    static let prefix = "@input "
    let json: JSONValue

    init?(_ line: String) {
        guard line.hasPrefix(Self.prefix),
            let json = try? JSONParser.parse(String(line.dropFirst(Self.prefix.count))), json.objectValue != nil
        else { return nil }
        self.json = json
    }
}
