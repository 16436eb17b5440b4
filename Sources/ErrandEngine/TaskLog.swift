/// How much a task log line matters; the names and order are those of MCP's `logging/setLevel` (RFC 5424).
public enum TaskLogLevel: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case debug
    case info
    case notice
    case warning
    case error
    case critical
    case alert
    case emergency

    /// Position in severity order, lowest first.
    public var severity: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: TaskLogLevel, rhs: TaskLogLevel) -> Bool { lhs.severity < rhs.severity }
}

/// One line of a task's log.
public struct TaskLogLine: Sendable, Hashable {
    /// Position in the task's log, from 1; never reused, so a reader can resume after the last one it saw.
    public var sequence: UInt64
    /// Milliseconds since the Unix epoch.
    public var at: Int64
    public var level: TaskLogLevel
    public var text: String

    public init(sequence: UInt64, at: Int64, level: TaskLogLevel, text: String) {
        self.sequence = sequence
        self.at = at
        self.level = level
        self.text = text
    }
}

/// The newest lines a task logged, bounded by a line count and a byte count (the oldest lines go first).
public struct TaskLog: Sendable, Hashable {
    /// Bounds of every task's log.
    public struct Limits: Sendable, Hashable {
        /// Lines kept. Default 1,000.
        public var maxLines: Int
        /// UTF-8 bytes of text kept. Default 64 KiB.
        public var maxBytes: Int
        /// Longest line kept; longer lines are cut and end in "…". Default 4 KiB.
        public var maxLineBytes: Int

        public init(maxLines: Int = 1000, maxBytes: Int = 64 * 1024, maxLineBytes: Int = 4096) {
            self.maxLines = max(1, maxLines)
            self.maxBytes = max(1, maxBytes)
            self.maxLineBytes = max(16, maxLineBytes)
        }

        public static let `default` = Limits()
    }

    /// Every line appended and not yet compacted away; the kept ones start at `head`.
    private var storage: [TaskLogLine]
    private var head = 0
    /// Lines ever appended (the sequence number of the newest line).
    public private(set) var lastSequence: UInt64
    /// UTF-8 bytes of the kept lines' text.
    private var bytes: Int

    public init(lines: [TaskLogLine] = [], lastSequence: UInt64? = nil) {
        self.storage = lines
        self.lastSequence = lastSequence ?? lines.last?.sequence ?? 0
        self.bytes = lines.reduce(0) { $0 + $1.text.utf8.count }
    }

    public static let empty = TaskLog()

    /// The kept lines, oldest first.
    public var lines: ArraySlice<TaskLogLine> { storage[head...] }

    public var isEmpty: Bool { lastSequence == 0 }

    /// Lines dropped from the front to stay within the limits.
    public var droppedLines: UInt64 { lastSequence - UInt64(storage.count - head) }

    /// Appends one line (cut to `limits.maxLineBytes`), dropping the oldest lines beyond the limits.
    ///
    /// Amortized O(1): dropped lines are compacted away in batches, never one memmove per line.
    /// - Returns: the line as stored.
    @discardableResult
    public mutating func append(
        _ text: String, level: TaskLogLevel, at: Int64, limits: Limits = .default
    ) -> TaskLogLine {
        lastSequence += 1
        let line = TaskLogLine(
            sequence: lastSequence, at: at, level: level, text: Self.cut(text, to: limits.maxLineBytes))
        storage.append(line)
        bytes += line.text.utf8.count
        while storage.count - head > 1, storage.count - head > limits.maxLines || bytes > limits.maxBytes {
            bytes -= storage[head].text.utf8.count
            head += 1
        }
        if head > 64, head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return line
    }

    /// The kept lines after `sequence` (all kept lines for 0).
    public func lines(after sequence: UInt64) -> ArraySlice<TaskLogLine> {
        let kept = lines
        guard let first = kept.first, sequence >= first.sequence else { return kept }
        let skip = Int(min(UInt64(kept.count), sequence - first.sequence + 1))
        return kept.dropFirst(skip)
    }

    /// The same log without its lines (the line count stays): what events carry.
    public var withoutLines: TaskLog { TaskLog(lines: [], lastSequence: lastSequence) }

    public static func == (lhs: TaskLog, rhs: TaskLog) -> Bool {
        lhs.lastSequence == rhs.lastSequence && lhs.lines.elementsEqual(rhs.lines)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(lastSequence)
        for line in lines { hasher.combine(line) }
    }

    /// `text` cut at a character boundary to at most `limit` UTF-8 bytes, marked with "…" when cut.
    static func cut(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var kept = ""
        var used = 0
        let budget = limit - 3  // "…" is 3 bytes
        for character in text {
            let size = character.utf8.count
            if used + size > budget { break }
            kept.append(character)
            used += size
        }
        return kept + "…"
    }
}
