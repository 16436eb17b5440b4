import Testing

@testable import ErrandHTTP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `Upgrade: h2c` from HTTP/1.1 (RFC 7540 §3.2), as `curl --http2` does it.
struct HTTP2UpgradeTests {
    /// SETTINGS_MAX_CONCURRENT_STREAMS 100, SETTINGS_INITIAL_WINDOW_SIZE 10 MiB, ENABLE_PUSH 0, as curl sends.
    static let settings = "AAMAAABkAAQAoAAAAAIAAAAA"

    static func upgradeRequest(_ path: String, method: String = "GET", settings: String = settings, body: String = "")
        -> String
    {
        "\(method) \(path) HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
            + "HTTP2-Settings: \(settings)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    @Test func upgradedRequestIsAnsweredAsStreamOne() async throws {
        try await withServer { _, port in
            let client = try HTTP2FrameClient(port: port)
            try client.send(Array(Self.upgradeRequest("/hello").utf8))
            let head = try Self.readHTTP1Head(client)
            #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
            #expect(head.contains("Upgrade: h2c\r\n"))
            try client.start()
            try client.read { $0.response(1).ended }
            #expect(client.response(1).status == 200)
            #expect(client.response(1).text == "hello")
            // The connection now speaks HTTP/2 only.
            try client.request(stream: 3, path: "/hello")
            try client.read { $0.response(3).ended }
            #expect(client.response(3).text == "hello")
        }
    }

    @Test func upgradedRequestKeepsItsBody() async throws {
        try await withServer { _, port in
            let client = try HTTP2FrameClient(port: port)
            try client.send(Array(Self.upgradeRequest("/echo", method: "POST", body: "payload").utf8))
            _ = try Self.readHTTP1Head(client)
            try client.start()
            try client.read { $0.response(1).ended }
            #expect(client.response(1).text == "payload")
        }
    }

    @Test func badSettingsAreAnsweredOverHTTP1() async throws {
        try await withServer { _, port in
            let client = try TestClient(port: port)
            try client.send(Self.upgradeRequest("/hello", settings: "not*base64"))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "hello")
        }
    }

    @Test func upgradeIsIgnoredWhenHTTP2IsDisabled() async throws {
        try await withServer(configure: { $0.http2Enabled = false }) { _, port in
            let client = try TestClient(port: port)
            try client.send(Self.upgradeRequest("/hello"))
            #expect(try client.readResponse().status == 200)
        }
    }

    /// Reads the HTTP/1.1 response head byte by byte, leaving what follows for the frame reader.
    static func readHTTP1Head(_ client: HTTP2FrameClient) throws -> String {
        var head: [UInt8] = []
        while !head.suffix(4).elementsEqual("\r\n\r\n".utf8) {
            var byte: UInt8 = 0
            guard recv(client.fd, &byte, 1, 0) == 1 else { throw TestClientError(description: "no 101 response") }
            head.append(byte)
        }
        return String(decoding: head, as: UTF8.self)
    }
}
