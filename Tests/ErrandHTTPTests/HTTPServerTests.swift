import ErrandHTTP
import Logging
import Testing

/// HTTP/1.1 behaviour over real sockets on 127.0.0.1.
struct HTTPServerTests {
    @Test func keepAliveServesTwoRequestsOnOneConnection() async throws {
        try await withServer { _, port in
            let client = try TestClient(port: port)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            let first = try client.readResponse()
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nping")
            let second = try client.readResponse()
            #expect(first.status == 200)
            #expect(first.text == "hello")
            #expect(first.header("Connection") == nil)
            #expect(second.text == "ping")
        }
    }

    @Test func responsesCarryDateServerAndLength() async throws {
        try await withServer { _, port in
            let client = try TestClient(port: port)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.header("Server") == "errand")
            #expect(response.header("Content-Length") == "5")
            #expect(response.header("Date")?.hasSuffix(" GMT") == true)
            #expect(response.header("Date")?.count == 29)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer { _, port in
            let client = try TestClient(port: port)
            // A deferred request first, then an immediate one and one with a body: all in one write.
            try client.send(
                "GET /slow?150 HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nthird")
            let bodies = try (0..<3).map { _ in try client.readResponse().text }
            #expect(bodies == ["slow", "hello", "third"])
        }
    }

    @Test func pipelineBeyondTheLimitIsStillAnsweredInOrder() async throws {
        try await withServer(configure: { $0.maxPipelinedRequests = 2 }) { _, port in
            let client = try TestClient(port: port)
            var requests = "GET /slow?50 HTTP/1.1\r\nHost: t\r\n\r\n"
            for index in 0..<20 {
                requests += "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n\(index % 10)\(index % 10)"
            }
            try client.send(requests)
            #expect(try client.readResponse().text == "slow")
            for index in 0..<20 {
                #expect(try client.readResponse().text == "\(index % 10)\(index % 10)")
            }
        }
    }

    @Test func expectContinueGetsA100BeforeTheBody() async throws {
        try await withServer { _, port in
            let client = try TestClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
            let interim = try client.readResponse()
            #expect(interim.status == 100)
            try client.send("body")
            let final = try client.readResponse()
            #expect(final.status == 200)
            #expect(final.text == "body")
        }
    }

    @Test func unknownExpectationGets417AndClose() async throws {
        try await withServer { _, port in
            let client = try TestClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: teapot\r\nContent-Length: 4\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 417)
            #expect(response.header("Connection") == "close")
            #expect(try client.isClosedByPeer())
        }
    }

    @Test func oversizedBodyIsRefusedWith413WithoutSendingIt() async throws {
        try await withServer(configure: { $0.maxBodyBytes = 1024 }) { _, port in
            let client = try TestClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4096\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 413)
            #expect(response.text == "request body too large\n")
            #expect(try client.isClosedByPeer())
        }
    }

    @Test func headReturnsHeadersWithoutBody() async throws {
        try await withServer { _, port in
            let client = try TestClient(port: port)
            try client.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try client.readResponse(head: true)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "5")
            // Had the body been sent, it would be read as the start of the next response.
            try client.send("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n")
            let next = try client.readResponse()
            #expect(next.status == 200)
            #expect(next.body.isEmpty)
        }
    }

    @Test func connectionCloseFromTheClientIsHonoured() async throws {
        try await withServer { _, port in
            let client = try TestClient(port: port)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.text == "hello")
            #expect(response.header("Connection") == "close")
            #expect(try client.isClosedByPeer())
        }
    }

    @Test func connectionCloseFromTheResponderIsHonoured() async throws {
        try await withServer { _, port in
            let client = try TestClient(port: port)
            try client.send("GET /close HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.text == "bye")
            #expect(response.header("Connection") == "close")
            #expect(try client.isClosedByPeer())
        }
    }

    @Test func http10ClosesUnlessAskedToKeepAlive() async throws {
        try await withServer { _, port in
            let plain = try TestClient(port: port)
            try plain.send("GET /hello HTTP/1.0\r\n\r\n")
            #expect(try plain.readResponse().text == "hello")
            #expect(try plain.isClosedByPeer())

            let keepAlive = try TestClient(port: port)
            try keepAlive.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let first = try keepAlive.readResponse()
            #expect(first.header("Connection") == "keep-alive")
            try keepAlive.send("GET /hello HTTP/1.0\r\n\r\n")
            #expect(try keepAlive.readResponse().text == "hello")
            #expect(try keepAlive.isClosedByPeer())
        }
    }

    @Test func chunkedRequestBodyIsDecoded() async throws {
        try await withServer { _, port in
            let client = try TestClient(port: port)
            try client.send(
                "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\nT: 1\r\n\r\n"
            )
            #expect(try client.readResponse().text == "Wikipedia")
        }
    }

    @Test func smugglingShapeGets400AndClose() async throws {
        try await withServer { _, port in
            let client = try TestClient(port: port)
            try client.send(
                "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
            )
            let response = try client.readResponse()
            #expect(response.status == 400)
            #expect(response.header("Connection") == "close")
            #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(response.text == "Content-Length and Transfer-Encoding together\n")
            #expect(try client.isClosedByPeer())
        }
    }

    @Test func headerTimeoutAnswers408AndCloses() async throws {
        try await withServer(configure: { $0.headerReadTimeout = .milliseconds(200) }) { _, port in
            let client = try TestClient(port: port)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n")
            let response = try client.readResponse()
            #expect(response.status == 408)
            #expect(response.header("Connection") == "close")
            #expect(try client.isClosedByPeer())
        }
    }

    @Test func bodyTimeoutAnswers408() async throws {
        try await withServer(configure: { $0.bodyReadTimeout = .milliseconds(200) }) { _, port in
            let client = try TestClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
            let response = try client.readResponse()
            #expect(response.status == 408)
            #expect(response.text == "request body not received in time\n")
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() async throws {
        try await withServer(configure: { $0.idleTimeout = .milliseconds(200) }) { server, port in
            let client = try TestClient(port: port)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().text == "hello")
            #expect(server.connectionCount == 1)
            // Blocks until the server closes: the idle timeout, well before the client's 5 s receive timeout.
            #expect(try client.isClosedByPeer())
            #expect(eventually { server.connectionCount == 0 })
        }
    }

    @Test func slowlorisGets408AndDoesNotStarveOthers() async throws {
        try await withServer(configure: { $0.headerReadTimeout = .milliseconds(600) }) { _, port in
            let slow = try TestClient(port: port)
            let drip = Array("GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: ".utf8) + [UInt8](repeating: 0x61, count: 100)
            let clock = ContinuousClock()
            let started = clock.now
            var dripped = 0
            let other = try TestClient(port: port)
            // Interleave: one byte of slowloris, one full request from another client.
            while clock.now - started < .milliseconds(900), dripped < drip.count {
                do { try slow.send([drip[dripped]]) } catch { break }
                dripped += 1
                try other.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try other.readResponse().text == "hello")
                sleep(milliseconds: 30)
            }
            #expect(dripped > 5)
            let response = try slow.readResponse()
            #expect(response.status == 408)
            #expect(try slow.isClosedByPeer())
        }
    }

    @Test func maxConnectionsIsEnforced() async throws {
        try await withServer(configure: { $0.maxConnections = 2 }) { server, port in
            let first = try TestClient(port: port)
            let second = try TestClient(port: port)
            for client in [first, second] {
                try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try client.readResponse().status == 200)
            }
            let third = try TestClient(port: port)
            #expect(try third.isClosedByPeer())
            #expect(server.connectionCount == 2)
        }
    }

    @Test(arguments: ["127.0.0.1", "::1", "localhost", "0.0.0.0"])
    func bindsIPv4AndIPv6Hosts(_ host: String) async throws {
        try await withServer(configure: { $0.host = host }) { _, port in
            let address = host == "::1" ? "::1" : "127.0.0.1"
            let client = try TestClient(port: port, host: host == "localhost" ? try localhostAddress(port) : address)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().text == "hello")
        }
    }

    @Test func bindingABusyPortFailsWithErrno() async throws {
        try await withServer { _, port in
            var configuration = HTTPServerConfiguration()
            configuration.port = port
            let second = HTTPServer(configuration: configuration, responder: TestResponder(), logger: .init(label: "t"))
            #expect(throws: SocketError.self) { _ = try second.start() }
            do {
                _ = try second.start()
            } catch let error as SocketError {
                #expect(error.errno == 98)  // EADDRINUSE
                #expect(error.operation.contains("bind"))
            }
        }
    }
}

/// `localhost` may resolve to `::1` or `127.0.0.1` first; whichever the server bound answers.
private func localhostAddress(_ port: Int) throws -> String {
    if (try? TestClient(port: port, host: "127.0.0.1")) != nil { return "127.0.0.1" }
    return "::1"
}
