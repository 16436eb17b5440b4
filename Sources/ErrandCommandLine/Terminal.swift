import ErrandClient
import ErrandProtocol
import Foundation

/// Where the client commands write, and whether a person is there.
enum Terminal {
    static func out(_ text: String) { write(STDOUT_FILENO, text + "\n") }
    static func err(_ text: String) { write(STDERR_FILENO, text + "\n") }
    static func json(_ value: JSONValue) { out(JSONWriter.string(value, options: .sortedKeys)) }

    /// A task's status: its JSON with `--json`, else one tab-separated line (id, status, message).
    static func printStatus(_ snapshot: TaskSnapshot, json: Bool) {
        if json {
            Self.json(snapshot.json)
        } else {
            out("\(snapshot.taskID)\t\(snapshot.status)\t\(snapshot.statusMessage ?? "")")
        }
    }

    static func write(_ descriptor: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { return }
            offset += written
        }
    }

    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// One line from standard input (without blocking the caller's executor thread); `nil` at end of input.
    static func readLine() async -> String? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: Swift.readLine(strippingNewline: true)) }
        }
    }
}
