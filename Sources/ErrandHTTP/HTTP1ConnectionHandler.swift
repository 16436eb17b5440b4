import Logging

/// HTTP/1.1 (and 1.0) on one connection: parses requests, asks the ``HTTPResponder``, and writes the
/// responses back in request order.
///
/// - Pipelining: requests are parsed and handed to the responder as they arrive; responses are held
///   until every earlier one is written. Once more than `maxPipelinedRequests` wait behind the one being
///   answered, the handler stops reading.
/// - Immediate replies are written inline when nothing is ahead of them (the fast path); deferred replies
///   run in a `Task` and hop back with ``ConnectionOutput/execute(_:)``.
/// - Persistence: after a request without keep-alive, a response with `Connection: close`, a parse error,
///   end of input or shutdown, no further request is read and the connection closes once the responses
///   owed are written.
/// - Timeouts (checked through ``nextDeadline``): header read from the first byte of a head, body read
///   between body reads, idle keep-alive; the read timeouts answer 408 and close.
///
/// Confined to the connection's queue (hence `@unchecked Sendable`): every method runs there.
final class HTTP1ConnectionHandler: ConnectionHandler, @unchecked Sendable {
    /// A request that has been handed to the responder and whose response is owed, in request order.
    struct Slot {
        var sequence: Int
        var isHEAD: Bool
        var isHTTP10: Bool
        var keepAlive: Bool
        var response: HTTPResponse?
        var task: Task<Void, Never>?
    }

    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let logger: Logger
    /// Strong: the connection lets go of its handler once closed, which ends the cycle.
    let output: any ConnectionOutput
    /// Monotonic nanoseconds.
    let clock: () -> UInt64
    /// The `Date` header value for now.
    let date: () -> [UInt8]
    /// Builds the HTTP/2 handler when a connection opens with the HTTP/2 preface or asks for
    /// `Upgrade: h2c`; `nil` answers the preface with 505 and ignores the upgrade.
    var http2Handler: ((any ConnectionOutput) -> HTTP2ConnectionHandler?)?

    var parser: HTTPRequestParser
    var slots: [Slot] = []
    var nextSequence = 0
    var eventStream: EventStreamWriter?
    /// No further request is parsed (close, error, end of input, shutdown).
    var stopParsing = false
    /// ``ConnectionOutput/close()`` has been called.
    var closing = false
    var closed = false
    var shuttingDown = false
    /// A `100 Continue` is owed once the responses ahead of its request are written.
    var continuePending = false
    var readingEnabled = true
    /// A request was refused: the client may still be sending it, so the close lingers.
    var refusedRequest = false
    var requestsSeen = 0
    var headStartedAt: UInt64?
    var lastReadAt: UInt64
    var idleSince: UInt64

    init(
        configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger,
        output: any ConnectionOutput, clock: @escaping () -> UInt64, date: @escaping () -> [UInt8]
    ) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.output = output
        self.clock = clock
        self.date = date
        self.parser = HTTPRequestParser(limits: HTTPRequestParser.Limits(configuration))
        let now = clock()
        self.lastReadAt = now
        self.idleSince = now
    }

    // MARK: input

    func receive(_ bytes: UnsafeRawBufferPointer) {
        guard !closed, !stopParsing else { return }
        lastReadAt = clock()
        parser.append(bytes)
        processInput()
        output.flush()
    }

    func inputClosed() {
        guard !closed else { return }
        stopParsing = true
        if let eventStream {
            eventStream.stream.cancel()
        } else {
            closeIfDone()
        }
    }

    /// Parses and dispatches buffered requests while the pipeline has room.
    func processInput() {
        while !stopParsing, !closing, owedResponses <= configuration.maxPipelinedRequests {
            switch parser.next() {
            case .needMoreData:
                updateTimersAndReading()
                return
            case .expectContinue:
                if slots.isEmpty, eventStream == nil {
                    output.write(HTTPResponseEncoder.continueResponse)
                } else {
                    continuePending = true
                }
            case .request(let head, let body):
                headStartedAt = nil
                requestsSeen += 1
                if upgradeToHTTP2(head, body: body) { return }
                dispatch(head, body: body)
            case .http2Preface:
                if requestsSeen == 0, let handler = http2Handler?(output) {
                    let bytes = parser.takeUnparsedBytes()
                    stopParsing = true
                    handler.start()
                    output.replaceHandler(with: handler, replaying: bytes)
                    return
                }
                fail(HTTPParseError(status: 505, reason: "HTTP/2 is not supported on this connection"))
            case .error(let error):
                fail(error)
            }
        }
        updateTimersAndReading()
    }

    /// Responses owed: queued slots plus an open event stream.
    private var owedResponses: Int { slots.count + (eventStream == nil ? 0 : 1) }

    private func updateTimersAndReading() {
        if parser.phase == .head {
            if headStartedAt == nil { headStartedAt = clock() }
        } else {
            headStartedAt = nil
        }
        let enable = owedResponses <= configuration.maxPipelinedRequests
        if enable != readingEnabled {
            readingEnabled = enable
            output.setReadingEnabled(enable)
        }
    }

    private func dispatch(_ head: HTTPRequestHead, body: [UInt8]) {
        let request = HTTPRequest(
            method: head.method, target: head.target, version: head.version, headers: head.headers, body: body,
            remoteAddress: output.remoteAddress)
        let keepAlive = head.keepAlive && !shuttingDown
        if !keepAlive { stopParsing = true }
        var slot = Slot(
            sequence: nextSequence, isHEAD: head.isHEAD, isHTTP10: head.isHTTP10, keepAlive: keepAlive)
        nextSequence += 1
        switch responder.reply(to: request) {
        case .immediate(let response):
            if slots.isEmpty, eventStream == nil {
                write(response, for: slot)
            } else {
                slot.response = response
                slots.append(slot)
            }
        case .deferred(let work):
            let sequence = slot.sequence
            let output = self.output
            slot.task = Task {
                let response = await work()
                output.execute { self.complete(sequence, with: response) }
            }
            slots.append(slot)
        }
    }

    /// A deferred response is ready.
    func complete(_ sequence: Int, with response: HTTPResponse) {
        guard !closed, let index = slots.firstIndex(where: { $0.sequence == sequence }) else { return }
        slots[index].response = response
        slots[index].task = nil
        writeReadyResponses()
        processInput()
        output.flush()
    }

    /// Answers with `error` after the responses already owed, then closes.
    func fail(_ error: HTTPParseError) {
        logger.debug(
            "Rejecting request",
            metadata: ["status": "\(error.status)", "reason": "\(error.reason)", "peer": "\(output.remoteAddress)"])
        stopParsing = true
        refusedRequest = true
        let slot = Slot(
            sequence: nextSequence, isHEAD: false, isHTTP10: false, keepAlive: false, response: error.response)
        nextSequence += 1
        if slots.isEmpty, eventStream == nil {
            write(error.response, for: slot)
        } else {
            slots.append(slot)
        }
    }

    // MARK: output

    /// Writes every response at the front of the queue that is ready.
    func writeReadyResponses() {
        while eventStream == nil, !closing, let first = slots.first, let response = first.response {
            slots.removeFirst()
            write(response, for: first)
        }
        if slots.isEmpty, eventStream == nil, !closing {
            if continuePending {
                continuePending = false
                output.write(HTTPResponseEncoder.continueResponse)
            }
            closeIfDone()
        }
    }

    /// Closes when nothing more will be read and nothing more is owed.
    func closeIfDone() {
        guard stopParsing, slots.isEmpty, eventStream == nil, !closing else { return }
        closeConnection()
    }

    /// Closes after what is written; lingers when the client may still be sending (after a refused
    /// request, or with unread pipelined bytes), so that it reads the response rather than a reset.
    func closeConnection() {
        stopParsing = true
        closing = true
        for slot in slots { slot.task?.cancel() }
        slots.removeAll()
        output.close(lingering: refusedRequest || parser.unparsedByteCount > 0)
    }

    private func write(_ response: HTTPResponse, for slot: Slot) {
        let closeAfter = !slot.keepAlive || shuttingDown || Self.asksToClose(response.headers)
        let persistence: HTTPResponseEncoder.Persistence =
            closeAfter ? .close : (slot.isHTTP10 ? .keepAliveExplicit : .keepAliveDefault)
        switch response.body {
        case .bytes(let body):
            let allowsBody = HTTPResponseEncoder.allowsBody(response.status)
            var out: [UInt8] = []
            out.reserveCapacity(160 + response.headers.count * 32 + (slot.isHEAD ? 0 : body.count))
            HTTPResponseEncoder.writeHead(
                status: response.status, headers: response.headers,
                framing: allowsBody ? .length(body.count) : .noBody, persistence: persistence, date: date(),
                into: &out)
            if allowsBody, !slot.isHEAD { out.append(contentsOf: body) }
            output.write(out)
            idleSince = clock()
            if closeAfter { closeConnection() }
        case .eventStream(let stream):
            startEventStream(
                stream, status: response.status, headers: response.headers, slot: slot, closeAfter: closeAfter)
        }
    }

    private static func asksToClose(_ headers: HTTPHeaders) -> Bool {
        guard let value = headers["Connection"] else { return false }
        return value.split(separator: ",").contains { $0.trimmingOWS().equalsIgnoringASCIICase("close") }
    }
}
