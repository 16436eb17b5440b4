import CNghttp2

/// Creating the nghttp2 server session: options (the flood limits), callbacks, and the server's SETTINGS.
extension HTTP2ConnectionHandler {
    /// Entries accepted in one SETTINGS frame; more closes the connection.
    static let maxSettingsEntries = 32

    static func makeSession(_ configuration: HTTPServerConfiguration, userData: UnsafeMutableRawPointer)
        -> OpaquePointer?
    {
        var options: OpaquePointer?
        guard nghttp2_option_new(&options) == 0, let options else { return nil }
        defer { nghttp2_option_del(options) }
        nghttp2_option_set_max_outbound_ack(options, max(1, configuration.http2MaxQueuedAcks))
        nghttp2_option_set_max_settings(options, maxSettingsEntries)
        nghttp2_option_set_max_continuations(options, max(0, configuration.http2MaxContinuationFrames))
        // Closed streams are forgotten at once: a client resetting streams costs no memory.
        nghttp2_option_set_no_closed_streams(options, 1)
        // Window updates only as request bodies are let go (``HTTP2ConnectionHandler/consume(_:from:)``):
        // flow control, not buffering, holds back a client sending faster than bodies are handled.
        nghttp2_option_set_no_auto_window_update(options, 1)
        // nghttp2's own reset limiter stays behind ``HTTP2ResetBudget``, which answers ENHANCE_YOUR_CALM.
        let resets = UInt64(max(1, configuration.http2MaxClientResets))
        let windowSeconds = max(1, UInt64(configuration.http2ClientResetWindow.components.seconds))
        nghttp2_option_set_stream_reset_rate_limit(options, max(1000, 2 * resets), max(33, 2 * resets / windowSeconds))

        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return nil }
        defer { nghttp2_session_callbacks_del(callbacks) }
        installCallbacks(callbacks)

        var session: OpaquePointer?
        guard nghttp2_session_server_new2(&session, callbacks, userData, options) == 0 else { return nil }
        return session
    }

    /// Queues the server's SETTINGS and opens the connection's receive window (twice the body budget).
    static func submitSettings(_ session: OpaquePointer, _ configuration: HTTPServerConfiguration) {
        let window = UInt32(HTTPServerConfiguration.http2FirstStreamWindow)
        let connectionWindow = configuration.http2ConnectionWindowSize
        let settings: [nghttp2_settings_entry] = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: UInt32(clamping: max(1, configuration.http2MaxConcurrentStreams))),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: window),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: UInt32(clamping: max(0, configuration.http2MaxHeaderListSize))),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
        ]
        settings.withUnsafeBufferPointer {
            _ = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), $0.baseAddress, $0.count)
        }
        if connectionWindow > 65_535 {
            nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, connectionWindow)
        }
    }

    /// The callbacks nghttp2 calls during `mem_recv`/`mem_send`; each recovers the handler from `userData`.
    private static func installCallbacks(_ callbacks: OpaquePointer) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            guard let frame, let userData else { return 0 }
            return connectionHandler(userData).beginHeaders(frame.pointee)
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, userData in
            guard let frame, let name, let value, let userData else { return 0 }
            return connectionHandler(userData).receiveField(
                frame.pointee, name: UnsafeBufferPointer(start: name, count: nameLength),
                value: UnsafeBufferPointer(start: value, count: valueLength))
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) {
            _, _, streamID, data, length, userData in
            guard let data, let userData else { return 0 }
            return connectionHandler(userData).receiveData(streamID, UnsafeBufferPointer(start: data, count: length))
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            guard let frame, let userData else { return 0 }
            return connectionHandler(userData).frameReceived(frame.pointee)
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { _, frame, userData in
            guard let frame, let userData else { return 0 }
            return connectionHandler(userData).frameSent(frame.pointee)
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            guard let userData else { return 0 }
            return connectionHandler(userData).streamClosed(streamID, errorCode: errorCode)
        }
    }

}

/// The handler behind nghttp2's `user_data`. Only valid while the session exists, which the handler owns;
/// nghttp2 calls back only from inside calls the handler makes.
private func connectionHandler(_ userData: UnsafeMutableRawPointer) -> HTTP2ConnectionHandler {
    Unmanaged<HTTP2ConnectionHandler>.fromOpaque(userData).takeUnretainedValue()
}
