import Dispatch
import Logging

/// A serial queue that owns a set of connections, a read buffer they share, a `Date` cache, and one
/// repeating tick that checks every connection's deadline.
///
/// One tick per loop instead of a timer per connection: moving a deadline is a store, not a timer
/// re-arm, and a tick walks the loop's connections (a few thousand comparisons), so 10,000 connections
/// cost little. Deadlines fire up to one tick late; the tick is a fraction of the shortest timeout.
final class EventLoop: @unchecked Sendable {
    let queue: DispatchQueue
    /// Scratch space for `read`; safe to share because the loop's queue is serial.
    let readBuffer: UnsafeMutableRawBufferPointer
    private var connections: [ObjectIdentifier: Connection] = [:]
    private var dates = HTTPDateCache()
    private var tick: (any DispatchSourceTimer)?
    private var shuttingDown = false
    private let onConnectionClosed: @Sendable () -> Void

    init(label: String, tickInterval: Duration, onConnectionClosed: @escaping @Sendable () -> Void) {
        self.queue = DispatchQueue(label: label)
        self.readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        self.onConnectionClosed = onConnectionClosed
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let interval = DispatchTimeInterval.nanoseconds(Int(clamping: tickInterval.nanoseconds))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(1))
        timer.setEventHandler { [weak self] in self?.checkTimers() }
        tick = timer
        timer.resume()
    }

    deinit {
        tick?.cancel()
        readBuffer.deallocate()
    }

    /// Monotonic nanoseconds.
    func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func currentDate() -> [UInt8] { dates.current() }

    var connectionCount: Int { connections.count }

    /// Adopts an accepted socket. Call on the loop's queue.
    func register(_ connection: Connection, handler: any ConnectionHandler) {
        connections[ObjectIdentifier(connection)] = connection
        connection.start(handler: handler)
        if shuttingDown { connection.beginGracefulShutdown() }
    }

    func connectionClosed(_ connection: Connection) {
        if connections.removeValue(forKey: ObjectIdentifier(connection)) != nil { onConnectionClosed() }
    }

    private func checkTimers() {
        let now = now()
        for connection in connections.values { connection.checkTimers(now: now) }
    }

    /// Asks every connection to finish and close. Call on the loop's queue.
    func beginGracefulShutdown() {
        shuttingDown = true
        for connection in connections.values { connection.beginGracefulShutdown() }
    }

    /// Closes every connection now. Call on the loop's queue.
    func abortAll() {
        shuttingDown = true
        for connection in connections.values { connection.abort() }
    }

    /// Stops the tick; the loop can be released once its connections are gone.
    func stop() {
        tick?.cancel()
        tick = nil
    }
}
