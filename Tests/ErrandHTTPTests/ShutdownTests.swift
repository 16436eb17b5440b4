import ErrandHTTP
import Synchronization
import Testing

/// Graceful shutdown over live connections.
struct ShutdownTests {
    @Test func inFlightDeferredRequestFinishes() async throws {
        let responder = TestResponder()
        let (server, port) = try startServer(responder: responder)
        let client = try TestClient(port: port)
        try client.send("GET /slow?300 HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await blocking { eventually { responder.slowStarted.value == 1 } })  // in flight
        let clock = ContinuousClock()
        let started = clock.now
        async let response = blocking { try client.readResponse() }
        await server.shutdown(gracePeriod: .seconds(5))
        let elapsed = clock.now - started
        let answered = try await response
        #expect(answered.status == 200)
        #expect(answered.text == "slow")
        #expect(answered.header("Connection") == "close")
        #expect(server.connectionCount == 0)
        #expect(elapsed < .seconds(4))  // it waited for the request, not for the whole grace period
        #expect(try await blocking { try client.isClosedByPeer() })
    }

    @Test func idleConnectionsCloseAndNewOnesAreRefused() async throws {
        let (server, port) = try startServer()
        let idle = try TestClient(port: port)
        try idle.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try await blocking { try idle.readResponse() }
        await server.shutdown(gracePeriod: .seconds(5))
        #expect(server.connectionCount == 0)
        #expect(try await blocking { try idle.isClosedByPeer() })
        #expect(throws: TestClientError.self) { _ = try TestClient(port: port) }
    }

    @Test func openEventStreamsAreCancelled() async throws {
        let stream = SSEStream()
        let reason = Mutex<SSEStream.CloseReason?>(nil)
        stream.onTermination { closeReason in reason.withLock { $0 = closeReason } }
        let (server, port) = try startServer(responder: TestResponder { _ in .eventStream(stream) })
        let client = try TestClient(port: port)
        try client.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try await blocking { try client.readHead() }
        await server.shutdown(gracePeriod: .seconds(5))
        #expect(reason.withLock { $0 } == .cancelled)
        #expect(server.connectionCount == 0)
        // The body was ended properly before the close.
        #expect(try await blocking { try client.readChunk() } == nil)
        #expect(try await blocking { try client.isClosedByPeer() })
    }

    @Test func requestsPastTheGracePeriodAreCutOff() async throws {
        let responder = TestResponder()
        let (server, port) = try startServer(responder: responder)
        let client = try TestClient(port: port)
        try client.send("GET /slow?20000 HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await blocking { eventually { responder.slowStarted.value == 1 } })  // in flight
        let clock = ContinuousClock()
        let started = clock.now
        await server.shutdown(gracePeriod: .milliseconds(200))
        #expect(clock.now - started < .seconds(3))
        #expect(server.connectionCount == 0)
        #expect(try await blocking { try client.isClosedByPeer() })
    }
}
