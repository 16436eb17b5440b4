/// The stdout text a command's result keeps, bounded: past `maxBytes` the rest is counted, not kept.
struct CommandOutput {
    private let maxBytes: Int
    private(set) var text = ""
    private var keptBytes = 0
    private(set) var droppedBytes = 0

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    /// Adds one line (and its newline when it had one).
    mutating func append(_ line: LineSplitter.Line) {
        let bytes = line.text.utf8.count + (line.terminated ? 1 : 0)
        guard droppedBytes == 0, keptBytes + bytes <= maxBytes else {
            droppedBytes += bytes
            return
        }
        text += line.text
        if line.terminated { text += "\n" }
        keptBytes += bytes
    }

    /// The kept text, with a marker saying how much was dropped when the cap was reached.
    var result: String {
        guard droppedBytes > 0 else { return text }
        return text + "[output truncated: \(droppedBytes) more bytes not kept (limit \(maxBytes) bytes)]"
    }
}

/// The last lines of a command's stderr, for an error result.
struct StderrTail {
    private let capacity: Int
    private(set) var lines: [String] = []

    init(capacity: Int) { self.capacity = capacity }

    mutating func append(_ line: String) {
        guard capacity > 0 else { return }
        if lines.count == capacity { lines.removeFirst() }
        lines.append(line)
    }
}
