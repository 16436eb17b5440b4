import ErrandClient
import ErrandProtocol
import Foundation

/// Shows a task's updates until it ends: a progress bar and status message on a terminal, plain lines when
/// piped, JSON lines with `--json`; asks the task's questions on the terminal.
struct TaskFollower {
    enum Style {
        /// A redrawn progress bar on stderr.
        case bar
        /// One line per update on `descriptor`.
        case lines(Int32)
        /// One JSON object per update on stdout.
        case jsonLines
        /// Nothing (the result alone is printed).
        case quiet
    }

    let handle: TaskHandle
    let style: Style
    /// Whether a person can answer questions (stdin is a terminal and the output is not JSON).
    let canAsk: Bool

    /// The style for `call` (updates on stderr, result on stdout) or `watch` (updates on stdout).
    static func style(json: Bool, updatesOnStdout: Bool) -> Style {
        if json { return updatesOnStdout ? .jsonLines : .quiet }
        if !updatesOnStdout, Terminal.stderrIsTerminal { return .bar }
        return .lines(updatesOnStdout ? STDOUT_FILENO : STDERR_FILENO)
    }

    /// Follows the task to its terminal status and returns it.
    func follow() async throws -> TaskSnapshot {
        var bar = ProgressBar()
        var last: TaskSnapshot?
        for try await update in handle.updates() {
            switch update {
            case .status(let snapshot):
                last = snapshot
                show(status: snapshot, &bar)
            case .progress(let progress):
                show(progress: progress, &bar)
            case .log(let line):
                show(
                    line: "log [\(line.level)] \(line.text)",
                    json: ["type": "log", "level": .string(line.level), "text": .string(line.text)], &bar)
            case .inputRequested(let request):
                show(
                    line: "input requested: \(request.message)", json: ["type": "input", "params": request.params], &bar
                )
                guard canAsk else { throw TaskNeedsInput(taskID: handle.id, message: request.message) }
                bar.clear()
                let answer = await InputPrompt.ask(request)
                try await handle.answer(request, with: answer)
            }
        }
        bar.clear()
        guard let last, last.status.isTerminal else {
            throw MCPClientError.protocolViolation("the task's updates ended before the task did")
        }
        return last
    }

    private func show(status snapshot: TaskSnapshot, _ bar: inout ProgressBar) {
        let text = "status \(snapshot.status)" + (snapshot.statusMessage.map { ": \($0)" } ?? "")
        switch style {
        case .bar:
            bar.message = snapshot.statusMessage ?? "\(snapshot.status)"
            if snapshot.status.isTerminal { bar.clear() } else { bar.draw() }
        case .lines(let descriptor): Terminal.write(descriptor, text + "\n")
        case .jsonLines: Terminal.json(["type": "status", "task": snapshot.json])
        case .quiet: break
        }
    }

    private func show(progress: TaskProgress, _ bar: inout ProgressBar) {
        switch style {
        case .bar:
            bar.fraction = progress.fraction
            if let message = progress.message { bar.message = message }
            bar.draw()
        case .lines(let descriptor):
            var text = "progress \(Self.number(progress.progress))"
            if let total = progress.total { text += "/\(Self.number(total))" }
            if let message = progress.message { text += ": \(message)" }
            Terminal.write(descriptor, text + "\n")
        case .jsonLines:
            var object: [String: JSONValue] = ["type": "progress", "progress": .double(progress.progress)]
            if let total = progress.total { object["total"] = .double(total) }
            if let message = progress.message { object["message"] = .string(message) }
            Terminal.json(.object(object))
        case .quiet: break
        }
    }

    private func show(line: String, json: JSONValue, _ bar: inout ProgressBar) {
        switch style {
        case .bar:
            bar.clear()
            Terminal.err(line)
            bar.draw()
        case .lines(let descriptor): Terminal.write(descriptor, line + "\n")
        case .jsonLines: Terminal.json(json)
        case .quiet: break
        }
    }

    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// A one-line progress bar on stderr, redrawn in place.
struct ProgressBar {
    var fraction: Double?
    var message = ""
    private var drawn = false
    static let width = 24

    mutating func draw() {
        var line = "\r\u{1B}[2K"
        if let fraction {
            let filled = Int((fraction * Double(Self.width)).rounded(.down))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: Self.width - filled)
            line += "] " + String(Int((fraction * 100).rounded(.down))) + "% "
        } else {
            line += "… "
        }
        line += String(message.prefix(100))
        Terminal.write(STDERR_FILENO, line)
        drawn = true
    }

    mutating func clear() {
        guard drawn else { return }
        Terminal.write(STDERR_FILENO, "\r\u{1B}[2K")
        drawn = false
    }
}
