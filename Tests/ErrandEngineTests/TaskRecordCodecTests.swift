import ErrandEngine
import ErrandProtocol
import Testing

@Suite struct TaskRecordCodecTests {
    static let rich = TaskRecord(
        id: TaskID("t-1"), owner: TaskOwner(principal: "alice", team: nil, session: "s"), kind: .promptGet,
        target: "p", arguments: ["n": .int(-3), "a": [nil, true, "ü😀", .double(0.25)]], status: .failed,
        statusMessage: "boom", createdAt: 7, lastUpdatedAt: 9, ttlMs: 60_000, pollIntervalMs: 250,
        progress: TaskProgress(current: 1, total: 2, message: nil),
        outcome: .error(JSONRPCError(code: -32603, message: "bad", data: nil)), attempt: 3, priority: -1,
        history: [TaskHistoryEntry(at: 8, status: .cancelled, message: "x", attempt: 3)], requestMeta: nil)

    static func decode(_ bytes: [UInt8], from start: Int, like task: TaskRecord) throws -> TaskRecord {
        try TaskRecordCodec.decodeBody(
            bytes, from: start, id: task.id, owner: task.owner, target: task.target, status: task.status,
            createdAt: task.createdAt)
    }

    @Test func theBodyRoundTripsAfterAPrefix() throws {
        var bytes: [UInt8] = [0xAB]
        TaskRecordCodec.encodeBody(Self.rich, into: &bytes)
        #expect(bytes.first == 0xAB)
        #expect(try Self.decode(bytes, from: 1, like: Self.rich) == Self.rich)
    }

    /// The body layout is what the SQLite store keeps on disk: it must not change, statuses included.
    @Test func theBodyLayoutIsFixed() {
        let task = TaskRecord(
            id: TaskID("x"), owner: .anonymous, kind: .toolCall, target: "t", arguments: [:], status: .completed,
            createdAt: 1000, lastUpdatedAt: 1000, ttlMs: nil, pollIntervalMs: 500,
            history: [TaskHistoryEntry(at: 1, status: .completed, message: nil, attempt: 1)])
        var bytes: [UInt8] = []
        TaskRecordCodec.encodeBody(task, into: &bytes)
        let expected: [UInt8] =
            [10] + Array("tools/call".utf8) + [7, 0, 0, 0xD0, 0x0F, 0, 0xE8, 0x07, 0, 0, 0, 0, 1, 2, 3, 0, 2, 0]
        #expect(bytes == expected)
    }

    @Test func malformedBytesThrowInsteadOfTrapping() {
        var bytes: [UInt8] = []
        TaskRecordCodec.encodeBody(Self.rich, into: &bytes)
        for end in 0..<bytes.count {
            #expect(throws: TaskRecordDecodingError.self) {
                try Self.decode(Array(bytes[..<end]), from: 0, like: Self.rich)
            }
        }
        #expect(throws: TaskRecordDecodingError.self) { try Self.decode(bytes + [0], from: 0, like: Self.rich) }
        #expect(throws: TaskRecordDecodingError.self) { try Self.decode([0xFF] + bytes, from: 0, like: Self.rich) }
    }
}
