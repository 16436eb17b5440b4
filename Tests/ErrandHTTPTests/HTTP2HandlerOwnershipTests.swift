import Logging
import Testing

@testable import ErrandHTTP

/// The HTTP/2 handler owns its output, as the HTTP/1.1 one does: it may outlive its connection (whatever still
/// holds it, e.g. a deferred answer on its way) and must then still reach a live output, never a freed one.
struct HTTP2HandlerOwnershipTests {
    typealias RecordingOutput = HTTP1ConnectionHandlerTests.RecordingOutput

    @Test func aHandlerOutlivingItsConnectionKeepsItsOutputAndDropsWhatComesAfterTheClose() throws {
        let responder = HTTPResponderClosure { _ in
            .immediate(HTTPResponse(status: 200, contentType: "text/plain", body: Array("ok".utf8)))
        }
        let bytes =
            HTTP2FrameClient.preface + HTTP2Frame(.settings).bytes
            + HTTP2FrameClient.requestFrame(stream: 1, path: "/").bytes
        weak var watched: RecordingOutput?
        let handler: HTTP2ConnectionHandler
        let written: Int
        do {
            let output = RecordingOutput()
            watched = output
            handler = try #require(
                HTTP2ConnectionHandler(
                    configuration: HTTPServerConfiguration(), responder: responder, logger: Logger(label: "test"),
                    output: output, clock: { 1_000_000_000 }, date: { Array("Thu, 01 Jan 1970 00:00:00 GMT".utf8) }))
            handler.start()
            bytes.withUnsafeBytes { handler.receive($0) }
            #expect(!output.written.isEmpty, "the server preface was not written")
            // The connection closes and lets go of its handler (`Connection.teardown`); from here on only the
            // handler holds the output.
            handler.connectionClosed()
            written = output.written.count
        }
        let kept = try #require(watched, "the handler let go of its output while it may still use it")

        // Whatever reaches the handler after the close is dropped, on the same live output.
        handler.timerFired()
        handler.outputDrained()
        handler.beginGracefulShutdown()
        handler.inputClosed()
        bytes.withUnsafeBytes { handler.receive($0) }
        handler.schedulePump()
        for work in kept.queued { work() }
        #expect(kept.written.count == written)
        #expect(kept.closed == nil)
        #expect(!kept.aborted)
    }
}
