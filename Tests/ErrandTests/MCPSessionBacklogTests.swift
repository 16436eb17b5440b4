import ErrandEngine
import ErrandHTTP
import ErrandProtocol
import Testing

@testable import Errand

/// The backlog of messages for a session with no open GET stream follows the SSE policy: never a silent gap.
/// Within its bound it is delivered whole; past it, it is dropped, counted, and the next GET stream starts
/// with a notice telling the client to resynchronise; `/metrics` counts what was dropped.
@Suite(.shutsDownApplications) struct MCPSessionBacklogTests {
    static func session(backlogLimit: Int) -> MCPSession {
        MCPSession(
            id: "s1", protocolVersion: "2025-11-25", clientCapabilities: [:], clientInfo: [:],
            owner: TaskOwner(session: "s1"), nowMs: 0, backlogLimit: backlogLimit)
    }

    static func message(_ index: Int) -> JSONRPCMessage {
        .notification(method: "notifications/test", params: ["index": .int(Int64(index))])
    }

    /// The messages an attached stream received, parsed.
    static func received(_ stream: SSEStream) throws -> [JSONValue] {
        try stream.drain().events.map { try JSONParser.parse(Array($0.data.utf8)) }
    }

    @Test func aBacklogWithinItsBoundIsDeliveredWholeAndInOrder() throws {
        let session = Self.session(backlogLimit: 3)
        for index in 0..<3 { session.sendOnGetStream(Self.message(index)) }
        let stream = SSEStream()
        #expect(session.attachGetStream(stream))
        let messages = try Self.received(stream)
        #expect(messages.map { $0["params"]?["index"] } == [0, 1, 2])
        #expect(session.droppedMessages == 0)
        session.close()
    }

    @Test func anOverflowIsCountedAndTheNextStreamStartsWithAResyncNotice() throws {
        let session = Self.session(backlogLimit: 3)
        for index in 0..<10 { session.sendOnGetStream(Self.message(index)) }
        #expect(session.droppedMessages == 10)  // the 3 kept, the one that overflowed, and the 6 after it

        let stream = SSEStream()
        #expect(session.attachGetStream(stream))
        let messages = try Self.received(stream)
        #expect(messages.count == 1, "no gapped leftovers: \(messages)")
        let notice = try #require(messages.first)
        #expect(notice["method"] == "notifications/message")
        #expect(notice["params"]?["level"] == "warning")
        #expect(notice["params"]?["data"]?["droppedMessages"] == 10)
        #expect(notice["params"]?["data"]?["resync"] == true)

        // Once the client listens again, messages flow; the notice is sent once.
        session.sendOnGetStream(Self.message(10))
        #expect(try Self.received(stream).map { $0["params"]?["index"] } == [10])
        stream.cancel()  // its termination handler detaches it at once
        #expect(!session.hasGetStream)
        session.sendOnGetStream(Self.message(11))
        let next = SSEStream()
        #expect(session.attachGetStream(next))
        #expect(try Self.received(next).map { $0["params"]?["index"] } == [11])
        #expect(session.droppedMessages == 10)
        session.close()
    }

    @Test func metricsCountTheDroppedMessagesOfEverySessionEndedOnesIncluded() async throws {
        let test = try await TestApplication()
        let mcp = test.app.mcp
        var sessions: [MCPSession] = []
        for _ in 0..<2 { sessions.append(try #require(mcp.sessions.session(try await test.initialize()))) }
        let limit = MCPSession.defaultBacklogLimit
        for index in 0..<(limit + 10) { sessions[0].sendOnGetStream(Self.message(index)) }
        for index in 0..<(limit + 1) { sessions[1].sendOnGetStream(Self.message(index)) }
        #expect(sessions.map(\.droppedMessages) == [limit + 10, limit + 1])
        mcp.sessions.remove(sessions[0].id)

        let response = await test.send(
            HTTPRequest(method: "GET", target: "/metrics", headers: ["Host": "127.0.0.1:8080"]))
        #expect(response.status == 200)
        guard case .bytes(let bytes) = response.body else { throw TestFailure("/metrics did not answer with a body") }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("# TYPE errand_mcp_backlog_dropped_total counter\n"))
        #expect(text.contains("\nerrand_mcp_backlog_dropped_total \(2 * limit + 11)\n"), "\(text)")
    }
}
