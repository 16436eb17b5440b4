import ErrandEngine
import ErrandProtocol
import Testing

@Suite struct TaskLogTests {
    @Test func keepsTheNewestLinesWithinTheLineLimit() {
        var log = TaskLog()
        let limits = TaskLog.Limits(maxLines: 10, maxBytes: 1 << 20)
        for n in 1...25 { log.append("line \(n)", level: .info, at: Int64(n), limits: limits) }
        #expect(log.lines.count == 10)
        #expect(log.lines.first?.text == "line 16")
        #expect(log.lastSequence == 25)
        #expect(log.droppedLines == 15)
        #expect(log.lines(after: 20).map(\.sequence) == [21, 22, 23, 24, 25])
        #expect(log.lines(after: 3).count == 10)  // dropped lines cannot be replayed: all kept lines come back
        #expect(log.lines(after: 25).isEmpty)
    }

    @Test func keepsTheNewestLinesWithinTheByteLimitAndCutsLongLines() {
        var log = TaskLog()
        let limits = TaskLog.Limits(maxLines: 1000, maxBytes: 100, maxLineBytes: 40)
        for _ in 1...10 { log.append(String(repeating: "x", count: 30), level: .info, at: 0, limits: limits) }
        #expect(log.lines.reduce(0) { $0 + $1.text.utf8.count } <= 100)
        #expect(log.lines.count == 3)
        let long = log.append(String(repeating: "é", count: 100), level: .warning, at: 0, limits: limits)
        #expect(long.text.utf8.count <= 40)
        #expect(long.text.hasSuffix("…"))
        #expect(log.lines.last == long)
    }

    @Test func levelsAreOrderedBySeverity() {
        #expect(TaskLogLevel.debug < .info)
        #expect(TaskLogLevel.warning > .notice)
        #expect(TaskLogLevel.allCases.sorted() == TaskLogLevel.allCases)
    }

    @Test func aRecordWithALogAndAParentRoundTripsThroughTheCodec() throws {
        var record = TaskRecordCodecTests.rich
        record.parent = TaskID("parent-1")
        record.log.append("hello", level: .info, at: 5)
        record.log.append("oops ü", level: .error, at: 6)
        var bytes: [UInt8] = []
        TaskRecordCodec.encodeBody(record, into: &bytes)
        let decoded = try TaskRecordCodecTests.decode(bytes, from: 0, like: record)
        #expect(decoded == record)
        #expect(decoded.log.lines.map(\.text) == ["hello", "oops ü"])
        #expect(decoded.parent == TaskID("parent-1"))
    }

    @Test func anUnknownOptionalFieldIsMalformed() {
        var bytes: [UInt8] = []
        TaskRecordCodec.encodeBody(TaskRecordCodecTests.rich, into: &bytes)
        bytes.append(99)
        #expect(throws: TaskRecordDecodingError.self) {
            try TaskRecordCodecTests.decode(bytes, from: 0, like: TaskRecordCodecTests.rich)
        }
    }

    @Test func eventsCarryTheLineCountButNotTheLines() {
        var record = TaskRecordCodecTests.rich
        record.log.append("a", level: .info, at: 1)
        let hub = EventHub(replayWindow: 4)
        let event = hub.publish(.log(Array(record.log.lines)), task: record)
        #expect(event.task.log.lines.isEmpty)
        #expect(event.task.log.lastSequence == 1)
        #expect(event.change == .log(Array(record.log.lines)))
    }
}

@Suite struct TaskLogReplayTests {
    /// A chatty task must not push status changes out of the replay window: log events are not kept for replay.
    @Test func logEventsAreNotReplayedAndDoNotEvictOthers() throws {
        let hub = EventHub(replayWindow: 3)
        var record = TaskRecordCodecTests.rich
        hub.publish(.status, task: record)
        for n in 1...50 {
            let line = record.log.append("line \(n)", level: .info, at: 1)
            hub.publish(.log([line]), task: record)
        }
        hub.publish(.progress, task: record)
        let (replay, subscription) = hub.subscribe(after: 0) { _ in }
        subscription.cancel()
        #expect(try #require(replay).map(\.change) == [.status, .progress])
        // Resuming between two log events misses nothing replayable.
        let (fromMiddle, other) = hub.subscribe(after: 20) { _ in }
        other.cancel()
        #expect(try #require(fromMiddle).map(\.change) == [.progress])
    }

    @Test func aResumePointOlderThanTheWindowStillResets() {
        let hub = EventHub(replayWindow: 2)
        let record = TaskRecordCodecTests.rich
        for _ in 1...5 { hub.publish(.status, task: record) }
        let (replay, subscription) = hub.subscribe(after: 2) { _ in }
        subscription.cancel()
        #expect(replay == nil)
        let (kept, other) = hub.subscribe(after: 3) { _ in }
        other.cancel()
        #expect(kept?.map(\.sequence) == [4, 5])
    }

    @Test func theLogCompactsWithoutChangingWhatItHolds() {
        var log = TaskLog()
        var reference: [String] = []
        let limits = TaskLog.Limits(maxLines: 100, maxBytes: 1 << 20)
        for n in 1...10_000 {
            log.append("\(n)", level: .debug, at: 0, limits: limits)
            reference.append("\(n)")
            if reference.count > 100 { reference.removeFirst() }
            if n % 997 == 0 { #expect(log.lines.map(\.text) == reference) }
        }
        #expect(log == TaskLog(lines: Array(log.lines), lastSequence: 10_000))
    }
}
