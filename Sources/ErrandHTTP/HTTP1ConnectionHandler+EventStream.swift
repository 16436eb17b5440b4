import Logging
import Synchronization

/// The state of a Server-Sent Events response being written.
final class EventStreamWriter: Sendable {
    let stream: SSEStream
    /// Chunked (HTTP/1.1) or close-delimited (HTTP/1.0).
    let chunked: Bool
    /// Close the connection when the stream ends (HTTP/1.0, `Connection: close`, shutdown).
    let closeAfter: Bool
    /// When the next `: keep-alive` comment is due; only touched on the connection's queue.
    nonisolated(unsafe) var nextKeepAlive: UInt64
    /// A wake-up is already queued on the connection; coalesces bursts of `send`s.
    let wakeQueued = Atomic<Bool>(false)

    init(stream: SSEStream, chunked: Bool, closeAfter: Bool, nextKeepAlive: UInt64) {
        self.stream = stream
        self.chunked = chunked
        self.closeAfter = closeAfter
        self.nextKeepAlive = nextKeepAlive
    }
}

extension HTTP1ConnectionHandler {
    /// Writes the head of an event-stream response and starts pulling events from `stream`.
    func startEventStream(
        _ stream: SSEStream, status: Int, headers: HTTPHeaders, slot: Slot, closeAfter: Bool
    ) {
        // HTTP/1.0 has no chunked coding: the body ends when the connection closes.
        let chunked = !slot.isHTTP10
        let closeAfter = closeAfter || !chunked
        var out: [UInt8] = []
        HTTPResponseEncoder.writeHead(
            status: status, headers: headers, framing: chunked ? .chunked : .closeDelimited,
            persistence: closeAfter ? .close : .keepAliveDefault, date: date(), into: &out)
        if slot.isHEAD {
            // A response to HEAD ends with its head: no body, not even the empty chunked one.
            output.write(out)
            stream.cancel()
            if closeAfter { closeConnection() }
            return
        }
        output.write(out)
        let writer = EventStreamWriter(
            stream: stream, chunked: chunked, closeAfter: closeAfter,
            nextKeepAlive: clock() &+ configuration.sseKeepAliveInterval.nanoseconds)
        eventStream = writer
        let output = self.output
        stream.setWakeHandler {
            guard !writer.wakeQueued.exchange(true, ordering: .acquiringAndReleasing) else { return }
            output.execute { self.eventStreamWoke(writer) }
        }
    }

    /// Events arrived or the stream closed: write what is queued in one chunk and flush.
    func eventStreamWoke(_ writer: EventStreamWriter) {
        guard !closed, eventStream === writer else { return }
        writer.wakeQueued.store(false, ordering: .releasing)
        let (events, finished) = writer.stream.drain()
        if !events.isEmpty {
            var payload: [UInt8] = []
            for event in events { payload.append(contentsOf: event.encoded) }
            writeStreamBytes(payload, writer)
        }
        if finished { endEventStream(writer) }
        output.flush()
    }

    func sendKeepAlive(_ writer: EventStreamWriter, now: UInt64) {
        writer.nextKeepAlive = now &+ configuration.sseKeepAliveInterval.nanoseconds
        writeStreamBytes(SSEEvent.comment("keep-alive"), writer)
    }

    private func writeStreamBytes(_ payload: [UInt8], _ writer: EventStreamWriter) {
        if writer.chunked {
            var out: [UInt8] = []
            out.reserveCapacity(payload.count + 12)
            HTTPResponseEncoder.writeChunk(payload, into: &out)
            output.write(out)
        } else {
            output.write(payload)
        }
    }

    private func endEventStream(_ writer: EventStreamWriter) {
        eventStream = nil
        writer.stream.setWakeHandler(nil)
        switch writer.stream.closeReason {
        case .overflow:
            // The client fell too far behind: disconnect it rather than buffer without bound.
            logger.notice(
                "Disconnecting slow event-stream reader",
                metadata: ["peer": "\(output.remoteAddress)", "limit": "\(writer.stream.limits.maxBufferedEvents)"])
            closing = true
            output.abort()
        case .finished, .cancelled, nil:
            if writer.chunked { output.write(HTTPResponseEncoder.lastChunk) }
            if writer.closeAfter || writer.stream.closeReason == .cancelled {
                closeConnection()
            } else {
                idleSince = clock()
                writeReadyResponses()
                processInput()
            }
        }
    }
}
