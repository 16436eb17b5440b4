import CNghttp2

/// The connection's request body budget (``HTTPServerConfiguration/http2MaxConnectionBodyBytes``), kept by
/// flow control (automatic window updates are off):
///
/// - nghttp2 sends a connection `WINDOW_UPDATE` only for bytes given back here (once they reach half the
///   connection's window, which is twice the budget: the bytes held plus those given back but not yet
///   announced never fill it, so the client is never stalled for good). A request's bytes are held from arrival until its response has been sent and the stream
///   closed (an event stream's, until it starts); a rejected stream's at once.
/// - Every stream starts with HTTP/2's default window, 65,535 bytes. Streams are *admitted*, oldest first,
///   while the budget holds the whole body each may send (its `content-length`, else
///   ``HTTPServerConfiguration/maxBodyBytes``) beside the first window of every other stream, open or still
///   to come. An admitted stream's window opens to ``HTTPServerConfiguration/http2InitialWindowSize`` and is
///   given back as its bytes arrive; the others wait at their first window until earlier requests let their
///   bytes go. The client is held back, not buffered: what the streams hold never exceeds their reserves,
///   which admission keeps within the budget, and since the budget is at least every first window plus two
///   whole bodies, the oldest waiting request is always admitted once earlier ones finish.
extension HTTP2ConnectionHandler {
    /// Counts `count` bytes of `stream`'s body against the budget; an admitted stream gets its window back.
    func hold(_ count: Int, for stream: HTTP2Stream) {
        stream.heldBodyBytes += count
        heldBodyBytes += count
        if stream.admitted, let session { nghttp2_session_consume_stream(session, stream.id, count) }
    }

    /// Gives back at once `count` bytes that were received but are not kept (a rejected stream's, or one
    /// the handler no longer tracks).
    func discard(_ count: Int, on streamID: Int32) {
        guard let session, !closed, count > 0 else { return }
        nghttp2_session_consume(session, streamID, count)
    }

    /// Gives back every byte `stream` holds; the client may send that much more.
    func releaseBody(of stream: HTTP2Stream) {
        let count = stream.heldBodyBytes
        guard count > 0 else { return }
        stream.heldBodyBytes = 0
        heldBodyBytes -= count
        if let session, !closed { nghttp2_session_consume_connection(session, count) }
    }

    /// The bytes `stream` may still take from the budget: what it holds, or for a request still arriving the
    /// whole body it may send (admitted) or its first window (waiting), whichever is more.
    private func reserve(of stream: HTTP2Stream) -> Int {
        guard !stream.requestComplete, stream.rejection == nil else { return stream.heldBodyBytes }
        if stream.admitted { return max(stream.heldBodyBytes, expectedBody(of: stream)) }
        return max(stream.heldBodyBytes, HTTPServerConfiguration.http2FirstStreamWindow)
    }

    /// The body `stream` announced (`content-length`), else the largest allowed.
    private func expectedBody(of stream: HTTP2Stream) -> Int {
        min(stream.declaredBodyBytes ?? configuration.maxBodyBytes, configuration.maxBodyBytes)
    }

    /// Admits waiting streams, oldest first, while the budget holds every reserve with their whole bodies.
    /// Called whenever a request arrives, ends, or lets its bytes go.
    func admitStreams() {
        guard let session, !closed, !closing else { return }
        let waiting = streams.values.filter { !$0.admitted && !$0.requestComplete && $0.rejection == nil }
        guard !waiting.isEmpty else { return }
        let budget = configuration.effectiveHTTP2ConnectionBodyBytes
        let unopened = max(0, configuration.http2MaxConcurrentStreams - streams.count)
        var reserved =
            streams.values.reduce(0) { $0 + reserve(of: $1) } + unopened
            * HTTPServerConfiguration.http2FirstStreamWindow
        for stream in waiting.sorted(by: { $0.id < $1.id }) {
            let growth = max(0, expectedBody(of: stream) - reserve(of: stream))
            guard reserved + growth <= budget else { break }  // strictly oldest first: later ones wait too
            reserved += growth
            stream.admitted = true
            nghttp2_session_set_local_window_size(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream.id, configuration.admittedHTTP2WindowSize)
            if stream.heldBodyBytes > 0 { nghttp2_session_consume_stream(session, stream.id, stream.heldBodyBytes) }
        }
    }
}
