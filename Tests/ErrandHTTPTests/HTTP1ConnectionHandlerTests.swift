import Logging
import Synchronization
import Testing

@testable import ErrandHTTP

/// The HTTP/1.1 handler without sockets: a recording output and a hand-driven clock.
struct HTTP1ConnectionHandlerTests {
    /// Records what the handler writes. Deferred replies call `execute` from other threads while the test reads,
    /// so every field sits behind one lock.
    final class RecordingOutput: ConnectionOutput, Sendable {
        private struct State {
            var written: [UInt8] = []
            var closed: Bool?  // lingering flag once closed
            var aborted = false
            var readingEnabled = true
            var queued: [@Sendable () -> Void] = []
        }
        private let state = Mutex(State())

        var written: [UInt8] { state.withLock { $0.written } }
        var closed: Bool? { state.withLock { $0.closed } }
        var aborted: Bool { state.withLock { $0.aborted } }
        var readingEnabled: Bool { state.withLock { $0.readingEnabled } }
        var queued: [@Sendable () -> Void] { state.withLock { $0.queued } }
        var remoteAddress: String { "test" }
        var pendingWriteBytes: Int { 0 }
        var text: String { String(decoding: written, as: UTF8.self) }

        func write(_ bytes: [UInt8]) { state.withLock { $0.written += bytes } }
        func flush() {}
        func close(lingering: Bool) { state.withLock { $0.closed = lingering } }
        func abort() { state.withLock { $0.aborted = true } }
        func setReadingEnabled(_ enabled: Bool) { state.withLock { $0.readingEnabled = enabled } }
        func execute(_ work: @escaping @Sendable () -> Void) { state.withLock { $0.queued.append(work) } }
        func replaceHandler(with handler: any ConnectionHandler, replaying bytes: [UInt8]) {}
    }

    final class ManualClock: @unchecked Sendable {
        var now: UInt64 = 1_000_000_000
        func advance(_ duration: Duration) { now += duration.nanoseconds }
    }

    static func makeHandler(
        _ output: RecordingOutput, clock: ManualClock, configure: (inout HTTPServerConfiguration) -> Void = { _ in },
        responder: any HTTPResponder = TestResponder()
    ) -> HTTP1ConnectionHandler {
        var configuration = HTTPServerConfiguration()
        configure(&configuration)
        return HTTP1ConnectionHandler(
            configuration: configuration, responder: responder, logger: Logger(label: "test"), output: output,
            clock: { clock.now }, date: { Array("Thu, 01 Jan 1970 00:00:00 GMT".utf8) })
    }

    @Test func immediateRepliesWaitForAnEarlierDeferredOne() async throws {
        let output = RecordingOutput()
        let clock = ManualClock()
        let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let responder = HTTPResponderClosure { request in
            if request.path == "/first" {
                return .deferred {
                    await withCheckedContinuation { continuation in gate.withLock { $0 = continuation } }
                    return .text(200, "first")
                }
            }
            return .immediate(.text(200, "second"))
        }
        let handler = Self.makeHandler(output, clock: clock, responder: responder)
        Array("GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\n\r\n".utf8).withUnsafeBytes {
            handler.receive($0)
        }
        #expect(output.written.isEmpty)  // the immediate reply is held behind the deferred one
        while gate.withLock({ $0 == nil }) { await Task.yield() }
        gate.withLock { $0?.resume() }
        while output.queued.isEmpty { await Task.yield() }
        for work in output.queued { work() }
        let text = output.text
        let first = try #require(text.firstRange(of: "first"))
        let second = try #require(text.firstRange(of: "second"))
        #expect(first.lowerBound < second.lowerBound)
        #expect(text.ranges(of: "HTTP/1.1 200 OK").count == 2)
    }

    @Test func headerTimeoutFollowsTheClock() {
        let output = RecordingOutput()
        let clock = ManualClock()
        let handler = Self.makeHandler(output, clock: clock, configure: { $0.headerReadTimeout = .seconds(10) })
        #expect(handler.nextDeadline == clock.now + Duration.seconds(60).nanoseconds)  // idle timeout
        Array("GET / HTTP/1.1\r\n".utf8).withUnsafeBytes { handler.receive($0) }
        let deadline = clock.now + Duration.seconds(10).nanoseconds
        #expect(handler.nextDeadline == deadline)
        clock.advance(.seconds(9))
        handler.timerFired()
        #expect(output.written.isEmpty)
        clock.advance(.seconds(1))
        handler.timerFired()
        #expect(output.text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(output.text.contains("Connection: close\r\n"))
        #expect(output.closed == true)  // lingers: the client may still be sending
    }

    @Test func idleTimeoutClosesWithoutAResponse() {
        let output = RecordingOutput()
        let clock = ManualClock()
        let handler = Self.makeHandler(output, clock: clock, configure: { $0.idleTimeout = .seconds(5) })
        Array("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n".utf8).withUnsafeBytes { handler.receive($0) }
        let answered = output.written.count
        clock.advance(.seconds(5))
        handler.timerFired()
        #expect(output.written.count == answered)
        #expect(output.closed == false)
    }

    @Test func readingPausesWhenThePipelineIsFull() {
        let output = RecordingOutput()
        let clock = ManualClock()
        let responder = HTTPResponderClosure { _ in .deferred { .text(200, "x") } }
        let handler = Self.makeHandler(
            output, clock: clock, configure: { $0.maxPipelinedRequests = 2 }, responder: responder)
        let three = String(repeating: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", count: 3)
        Array(three.utf8).withUnsafeBytes { handler.receive($0) }
        #expect(output.readingEnabled == false)
        #expect(handler.slots.count == 3)
    }

    @Test func http2PrefaceHandsTheConnectionOver() {
        final class SwitchingOutput: ConnectionOutput, @unchecked Sendable {
            var replacedWith: (any ConnectionHandler)?
            var replayed: [UInt8] = []
            var written: [UInt8] = []
            var remoteAddress: String { "test" }
            var pendingWriteBytes: Int { 0 }
            func write(_ bytes: [UInt8]) { written += bytes }
            func flush() {}
            func close(lingering: Bool) {}
            func abort() {}
            func setReadingEnabled(_ enabled: Bool) {}
            func execute(_ work: @escaping @Sendable () -> Void) {}
            func replaceHandler(with handler: any ConnectionHandler, replaying bytes: [UInt8]) {
                replacedWith = handler
                replayed = bytes
            }
        }
        let output = SwitchingOutput()
        var configuration = HTTPServerConfiguration()
        configuration.idleTimeout = .seconds(1)
        let handler = HTTP1ConnectionHandler(
            configuration: configuration, responder: TestResponder(), logger: Logger(label: "test"), output: output,
            clock: { 0 }, date: { [] })
        var built: HTTP2ConnectionHandler?
        handler.http2Handler = { output in
            let h2 = HTTP2ConnectionHandler(
                configuration: configuration, responder: TestResponder(), logger: Logger(label: "test"),
                output: output, clock: { 0 }, date: { [] })
            built = h2
            return h2
        }
        let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 4]
        preface.withUnsafeBytes { handler.receive($0) }
        #expect(built != nil)
        #expect(output.replacedWith === built)
        #expect(output.replayed == preface)
        // The HTTP/2 handler spoke first: its SETTINGS frame (type 4) is on the wire, no HTTP/1.1 505.
        #expect(output.written.count >= 9 && output.written[3] == 4)
        #expect(!String(decoding: output.written, as: UTF8.self).contains("505"))
    }
}
