import CNghttp2
import Logging

/// Receiving requests: nghttp2 callbacks build an ``HTTP2Stream`` per request and hand it to the responder
/// once the client ends its side. Each returns 0, or an nghttp2 error code that nghttp2 acts on.
extension HTTP2ConnectionHandler {
    func beginHeaders(_ frame: nghttp2_frame) -> Int32 {
        guard frame.hd.type == UInt8(NGHTTP2_HEADERS.rawValue), frame.headers.cat == NGHTTP2_HCAT_REQUEST
        else { return 0 }
        let stream = HTTP2Stream(id: frame.hd.stream_id)
        streams[stream.id] = stream
        incompleteRequests += 1
        return 0
    }

    func receiveField(_ frame: nghttp2_frame, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>)
        -> Int32
    {
        guard let stream = streams[frame.hd.stream_id], stream.rejection == nil else { return 0 }
        guard frame.headers.cat == NGHTTP2_HCAT_REQUEST else { return 0 }  // trailers are not passed on
        let accepted = stream.addField(
            name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self),
            maxSize: configuration.http2MaxHeaderListSize, maxCount: configuration.maxHeaderCount)
        if !accepted {
            stream.rejection = .headerTooLarge
            stream.fields = []
            stream.cookies = []
        }
        return 0
    }

    func receiveData(_ streamID: Int32, _ data: UnsafeBufferPointer<UInt8>) -> Int32 {
        guard let stream = streams[streamID], stream.rejection == nil else {
            discard(data.count, on: streamID)
            return 0
        }
        guard stream.body.count + data.count <= configuration.maxBodyBytes else {
            reject(stream, .bodyTooLarge)
            discard(data.count, on: streamID)
            return 0
        }
        stream.body.append(contentsOf: data)
        hold(data.count, for: stream)
        return 0
    }

    func frameReceived(_ frame: nghttp2_frame) -> Int32 {
        let endStream = frame.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(frame.hd.type) {
        case NGHTTP2_HEADERS.rawValue, NGHTTP2_DATA.rawValue:
            guard let stream = streams[frame.hd.stream_id] else { return 0 }
            if frame.hd.type == UInt8(NGHTTP2_HEADERS.rawValue), !stream.responded, stream.rejection == nil,
                let length = stream.fields.first(where: { $0.name == "content-length" })
            {
                stream.declaredBodyBytes = Int(length.value)
            }
            if endStream {
                requestEnded(stream)
            } else if frame.hd.type == UInt8(NGHTTP2_HEADERS.rawValue), !stream.responded {
                if let rejection = stream.rejection {
                    reject(stream, rejection)
                } else if let declared = stream.declaredBodyBytes, declared > configuration.maxBodyBytes {
                    reject(stream, .bodyTooLarge)
                }
            }
            admitStreams()
        case NGHTTP2_RST_STREAM.rawValue:
            if !resetBudget.spend(now: clock()) { return calm("too many stream resets") }
        case NGHTTP2_PING.rawValue:
            if frame.hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0, isShutdownPing(frame.ping) {
                sendFinalGoaway()
            }
        default:
            break
        }
        return 0
    }

    func frameSent(_ frame: nghttp2_frame) -> Int32 {
        guard frame.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0,
            let stream = streams[frame.hd.stream_id], stream.resetAfterResponse, !stream.requestComplete,
            let session
        else { return 0 }
        stream.resetAfterResponse = false
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream.id, NGHTTP2_NO_ERROR.rawValue)
        return 0
    }

    func streamClosed(_ streamID: Int32, errorCode: UInt32) -> Int32 {
        guard let stream = streams.removeValue(forKey: streamID) else { return 0 }
        release(stream)
        if streams.isEmpty { idleSince = clock() }
        admitStreams()
        return 0
    }

    /// Lets go of what a stream holds: its deferred work, its event stream, its place in the counts, its
    /// share of the body budget.
    func release(_ stream: HTTP2Stream) {
        releaseBody(of: stream)
        if !stream.requestComplete {
            stream.requestComplete = true
            incompleteRequests -= 1
        }
        stream.task?.cancel()
        stream.task = nil
        if let writer = stream.events {
            stream.events = nil
            eventStreamCount -= 1
            if eventStreamCount == 0 { nextKeepAlive = nil }
            writer.stream.setWakeHandler(nil)
            writer.stream.cancel()
        }
    }

    /// The client has sent its whole request: answer it.
    private func requestEnded(_ stream: HTTP2Stream) {
        guard !stream.requestComplete else { return }
        stream.requestComplete = true
        incompleteRequests -= 1
        guard !stream.responded else { return }
        if let rejection = stream.rejection {
            reject(stream, rejection)
            return
        }
        guard stream.path != nil else {
            reject(stream, .badRequest("no :path"))
            return
        }
        dispatch(stream, stream.request(remoteAddress: output.remoteAddress))
    }

    /// Hands a complete request to the responder; deferred answers come back on the connection's queue.
    func dispatch(_ stream: HTTP2Stream, _ request: HTTPRequest) {
        stream.body = []
        switch responder.reply(to: request) {
        case .immediate(let response):
            respond(stream, with: response)
        case .deferred(let work):
            let output = self.output
            let id = stream.id
            stream.task = Task {
                let response = await work()
                output.execute { self.complete(id, with: response) }
            }
        }
    }

    /// A deferred response is ready; a stream that is gone drops it (and cancels an event stream in it).
    func complete(_ streamID: Int32, with response: HTTPResponse) {
        guard !closed, let stream = streams[streamID], stream.task != nil else {
            if case .eventStream(let events) = response.body { events.cancel() }
            return
        }
        stream.task = nil
        respond(stream, with: response)
        admitStreams()  // an event stream lets its request's body go
        pump()
    }

    /// Answers with an error status instead of the responder; if the client is still sending, the stream
    /// is reset with NO_ERROR once the answer is out.
    func reject(_ stream: HTTP2Stream, _ error: HTTPParseError) {
        stream.rejection = error
        stream.body = []
        releaseBody(of: stream)
        guard !stream.responded else { return }
        logger.debug(
            "Rejecting HTTP/2 request",
            metadata: ["status": "\(error.status)", "reason": "\(error.reason)", "peer": "\(output.remoteAddress)"])
        stream.resetAfterResponse = !stream.requestComplete
        respond(stream, with: .text(error.status, error.reason + "\n"))
    }

    /// Closes the connection with `GOAWAY ENHANCE_YOUR_CALM` once the frame is out.
    private func calm(_ reason: String) -> Int32 {
        guard let session else { return 0 }
        logger.notice(
            "Disconnecting an abusive HTTP/2 client",
            metadata: ["peer": "\(output.remoteAddress)", "reason": "\(reason)"])
        lingerOnClose = true
        nghttp2_session_terminate_session2(
            session, nghttp2_session_get_last_proc_stream_id(session), NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        return 0
    }

    private func isShutdownPing(_ ping: nghttp2_ping) -> Bool {
        withUnsafeBytes(of: ping.opaque_data) { Array($0) } == Self.shutdownPing
    }
}
