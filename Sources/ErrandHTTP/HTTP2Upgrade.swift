import CNghttp2

/// An HTTP/1.1 request asking to continue in HTTP/2 over cleartext (RFC 7540 §3.2): `Upgrade: h2c`,
/// one `HTTP2-Settings` field holding a base64url SETTINGS payload, and both named in `Connection`.
///
/// The server answers `101 Switching Protocols`, and the request becomes stream 1 of the HTTP/2
/// connection, answered there. A request that does not qualify is answered over HTTP/1.1 as usual.
struct HTTP2Upgrade {
    static let switchingProtocols: [UInt8] = Array(
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n".utf8)

    /// The decoded `HTTP2-Settings` payload.
    var settings: [UInt8]
    var isHEAD: Bool

    /// `nil` unless `head` asks for h2c correctly.
    init?(_ head: HTTPRequestHead) {
        guard head.version == "HTTP/1.1",
            Self.tokens(head.headers.values("Upgrade")).contains(where: { $0.equalsIgnoringASCIICase("h2c") })
        else { return nil }
        let connection = Self.tokens(head.headers.values("Connection"))
        guard connection.contains(where: { $0.equalsIgnoringASCIICase("upgrade") }),
            connection.contains(where: { $0.equalsIgnoringASCIICase("http2-settings") })
        else { return nil }
        let values = head.headers.values("HTTP2-Settings")
        guard values.count == 1, let settings = Base64.decode(values[0][...].trimmingOWS(), alphabet: .url),
            settings.count % 6 == 0
        else { return nil }
        self.settings = settings
        self.isHEAD = head.isHEAD
    }

    private static func tokens(_ values: [String]) -> [Substring] {
        values.flatMap { $0.split(separator: ",") }.map { $0.trimmingOWS() }
    }
}

extension HTTP1ConnectionHandler {
    /// Switches to HTTP/2 if `head` (the connection's first request, nothing else owed) asks for h2c:
    /// writes `101`, starts the HTTP/2 handler with the request as stream 1, and hands it the connection
    /// and any bytes after the request. Returns `false` to answer over HTTP/1.1 instead.
    func upgradeToHTTP2(_ head: HTTPRequestHead, body: [UInt8]) -> Bool {
        guard requestsSeen == 1, slots.isEmpty, eventStream == nil, !shuttingDown, let http2Handler,
            let upgrade = HTTP2Upgrade(head), let handler = http2Handler(output)
        else { return false }
        let request = HTTPRequest(
            method: head.method, target: head.target, version: head.version, headers: head.headers, body: body,
            remoteAddress: output.remoteAddress)
        guard handler.acceptUpgrade(upgrade, request: request) else { return false }
        stopParsing = true
        output.write(HTTP2Upgrade.switchingProtocols)
        handler.start()
        output.replaceHandler(with: handler, replaying: parser.takeUnparsedBytes())
        return true
    }
}

extension HTTP2ConnectionHandler {
    /// Takes an `Upgrade: h2c` request as stream 1 (half-closed: its body came with it) and answers it
    /// once ``start()`` runs. `false` if nghttp2 rejects the `HTTP2-Settings` payload.
    func acceptUpgrade(_ upgrade: HTTP2Upgrade, request: HTTPRequest) -> Bool {
        guard let session else { return false }
        let result = upgrade.settings.withUnsafeBufferPointer {
            nghttp2_session_upgrade2(session, $0.baseAddress, $0.count, upgrade.isHEAD ? 1 : 0, nil)
        }
        guard result == 0 else { return false }
        let stream = HTTP2Stream(id: 1)
        stream.method = request.method
        stream.path = request.target
        stream.requestComplete = true
        streams[1] = stream
        dispatch(stream, request)
        return true
    }
}
