import CNghttp2
import Logging
import Synchronization

/// Server-Sent Events over HTTP/2: one DATA stream per ``SSEStream``. The data provider takes events only
/// when nghttp2 asks (the stream's window is open), returns `NGHTTP2_ERR_DEFERRED` when none is queued,
/// and is resumed when the stream wakes, on the connection's queue. A reader that stops taking data
/// leaves its events in the ``SSEStream``, whose bound closes it as overflowed; that stream alone is reset.
extension HTTP2ConnectionHandler {
    func startEventStream(_ events: SSEStream, on stream: HTTP2Stream) {
        let now = clock()
        let writer = EventStreamWriter(
            stream: events, chunked: false, closeAfter: false,
            nextKeepAlive: now &+ configuration.sseKeepAliveInterval.nanoseconds)
        stream.events = writer
        eventStreamCount += 1
        if nextKeepAlive == nil { nextKeepAlive = writer.nextKeepAlive }
        let output = self.output
        let id = stream.id
        events.setWakeHandler { [weak self] in
            guard let self, !writer.wakeQueued.exchange(true, ordering: .acquiringAndReleasing) else { return }
            output.execute { self.eventStreamWoke(id, writer) }
        }
        if case .running = shutdownPhase {} else { events.cancel() }
    }

    /// Events arrived or the stream closed.
    func eventStreamWoke(_ streamID: Int32, _ writer: EventStreamWriter) {
        writer.wakeQueued.store(false, ordering: .releasing)
        guard let session, !closing, let stream = streams[streamID], stream.events === writer else { return }
        if writer.stream.closeReason == .overflow {
            logger.notice(
                "Resetting a slow HTTP/2 event stream",
                metadata: [
                    "peer": "\(output.remoteAddress)", "stream": "\(streamID)",
                    "limit": "\(writer.stream.limits.maxBufferedEvents)",
                ])
            nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, NGHTTP2_CANCEL.rawValue)
        } else {
            resume(stream)
        }
        schedulePump()
    }

    /// A `: keep-alive` comment on every event stream that has nothing queued.
    func sendKeepAlives(now: UInt64) {
        nextKeepAlive = eventStreamCount > 0 ? now &+ configuration.sseKeepAliveInterval.nanoseconds : nil
        let comment = SSEEvent.comment("keep-alive")
        for stream in streams.values where stream.events != nil && stream.eventOffset == stream.eventBytes.count {
            stream.eventBytes = comment
            stream.eventOffset = 0
            resume(stream)
        }
    }

    private func resume(_ stream: HTTP2Stream) {
        guard let session, stream.dataDeferred else { return }
        stream.dataDeferred = false
        nghttp2_session_resume_data(session, stream.id)
    }

    /// The data provider for an event stream.
    func readEvents(
        _ stream: HTTP2Stream, into buffer: UnsafeMutableBufferPointer<UInt8>, flags: UnsafeMutablePointer<UInt32>
    ) -> Int {
        guard let writer = stream.events else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        if stream.eventOffset == stream.eventBytes.count {
            let (events, finished) = writer.stream.drain()
            stream.eventBytes.removeAll(keepingCapacity: true)
            stream.eventOffset = 0
            for event in events { stream.eventBytes.append(contentsOf: event.encoded) }
            if stream.eventBytes.isEmpty {
                if !finished {
                    stream.dataDeferred = true
                    return Int(NGHTTP2_ERR_DEFERRED.rawValue)
                }
                if writer.stream.closeReason == .overflow, let session {
                    // Overflowed before its wake-up ran: reset it as CANCEL here (not the INTERNAL_ERROR a
                    // failed callback would give) and send nothing more on it.
                    nghttp2_submit_rst_stream(
                        session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream.id, NGHTTP2_CANCEL.rawValue)
                    stream.dataDeferred = true
                    return Int(NGHTTP2_ERR_DEFERRED.rawValue)
                }
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                return 0
            }
        }
        let count = min(buffer.count, stream.eventBytes.count - stream.eventOffset)
        stream.eventBytes.withUnsafeBufferPointer { bytes in
            _ = buffer.initialize(from: bytes[stream.eventOffset..<(stream.eventOffset + count)])
        }
        stream.eventOffset += count
        return count
    }
}
