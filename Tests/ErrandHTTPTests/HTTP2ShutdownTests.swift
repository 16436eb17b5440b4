import ErrandHTTP
import Synchronization
import Testing

/// Graceful shutdown of HTTP/2 connections: GOAWAY notice, final GOAWAY, in-flight streams finish.
struct HTTP2ShutdownTests {
    @Test func inFlightStreamsFinishBetweenTheTwoGoaways() async throws {
        let events = SSEStream()
        let reason = Mutex<SSEStream.CloseReason?>(nil)
        events.onTermination { closeReason in reason.withLock { $0 = closeReason } }
        let (server, port) = try startServer(responder: TestResponder { _ in .eventStream(events) })
        let client = try HTTP2Tests.connect(port)
        try client.request(stream: 1, path: "/slow?300")
        try client.request(stream: 3, path: "/stream")
        try await blocking { try client.read { !$0.response(3).headers.isEmpty } }
        events.send(SSEEvent(data: "before"))
        try await blocking { try client.read { $0.response(3).text == "data: before\n\n" } }

        let clock = ContinuousClock()
        let started = clock.now
        async let closedByServer = blocking { try client.readUntilClosed() }
        await server.shutdown(gracePeriod: .seconds(5))
        #expect(try await closedByServer)
        #expect(clock.now - started < .seconds(3))  // it waited for the slow request, not the grace period

        #expect(client.goaways.count == 2)
        #expect(client.goaways.first?.lastStream == Int32.max)  // the notice
        #expect(client.goaways.first?.code == 0)
        #expect(client.goaways.last?.lastStream == 3)  // the final GOAWAY names the last stream taken
        #expect(client.goaways.last?.code == 0)
        #expect(client.response(1).ended && client.response(1).text == "slow")
        #expect(client.response(3).ended && client.response(3).resetCode == nil)  // ended with END_STREAM
        #expect(reason.withLock { $0 } == .cancelled)
        #expect(server.connectionCount == 0)
    }

    @Test func idleConnectionGetsGoawayAndCloses() async throws {
        let (server, port) = try startServer()
        let client = try HTTP2Tests.connect(port)
        try client.request(stream: 1, path: "/hello")
        try await blocking { try client.read { $0.response(1).ended } }
        async let closedByServer = blocking { try client.readUntilClosed() }
        await server.shutdown(gracePeriod: .seconds(5))
        #expect(try await closedByServer)
        #expect(client.goaways.last?.lastStream == 1)
        #expect(server.connectionCount == 0)
    }

    @Test func requestsPastTheGracePeriodAreCutOff() async throws {
        let (server, port) = try startServer()
        let client = try HTTP2Tests.connect(port)
        try client.request(stream: 1, path: "/slow?20000")
        try await Task.sleep(for: .milliseconds(50))
        let clock = ContinuousClock()
        let started = clock.now
        await server.shutdown(gracePeriod: .milliseconds(300))
        #expect(clock.now - started < .seconds(3))
        #expect(server.connectionCount == 0)
        #expect(try await blocking { try client.readUntilClosed() })
        #expect(!client.response(1).ended)
    }
}
