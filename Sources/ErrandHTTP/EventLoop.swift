import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One thread that owns a set of connections: it waits on a ``Selector`` (epoll), reads, parses, answers
/// and writes without handing work to another thread, runs work other threads send it with
/// ``execute(_:)``, and ticks to check every connection's deadline.
///
/// The thread is a Dispatch thread dedicated to the loop for its lifetime. Everything the loop owns (its
/// connections, its read buffer, its `Date` cache) is only touched on that thread.
///
/// One tick per loop instead of a timer per connection: moving a deadline is a store, not a timer
/// re-arm, and a tick walks the loop's connections (a few thousand comparisons), so 10,000 connections
/// cost little. Deadlines fire up to one tick late; the tick is a fraction of the shortest timeout.
final class EventLoop: @unchecked Sendable {
    /// Scratch space for `read`, shared by the loop's connections.
    let readBuffer: UnsafeMutableRawBufferPointer
    let selector: Selector
    private let label: String
    private let tickInterval: UInt64
    private let onConnectionClosed: @Sendable () -> Void
    private let remoteTasks = Mutex<[@Sendable () -> Void]>([])
    private let wakeQueued = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    private let threadID = Atomic<UInt>(0)
    // Loop thread only.
    private var connections: [Connection?] = []
    private var localTasks: [() -> Void] = []
    private var dates = HTTPDateCache()
    private var shuttingDown = false
    private var nextTick: UInt64 = 0

    init(label: String, tickInterval: Duration, onConnectionClosed: @escaping @Sendable () -> Void) throws(SocketError)
    {
        self.label = label
        self.selector = try Selector()
        self.tickInterval = max(tickInterval.nanoseconds, 1_000_000)
        self.onConnectionClosed = onConnectionClosed
        self.readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Starts the loop's thread. The loop keeps itself alive until ``stop()``.
    func start() {
        DispatchQueue(label: label).async { self.run() }
    }

    /// Ends the loop after its current iteration; connections still open are closed. Any thread.
    func stop() {
        stopRequested.store(true, ordering: .releasing)
        selector.wakeUp()
    }

    /// Monotonic nanoseconds.
    func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// The `Date` header value. Loop thread only.
    func currentDate() -> [UInt8] { dates.current() }

    /// Runs `work` on the loop's thread: later in this iteration if called from it, else after a wake-up.
    /// Dropped once the loop has stopped.
    func execute(_ work: @escaping @Sendable () -> Void) {
        if stopRequested.load(ordering: .relaxed) { return }
        if threadID.load(ordering: .relaxed) == currentThreadID() {
            localTasks.append(work)
            return
        }
        remoteTasks.withLock { $0.append(work) }
        if !wakeQueued.exchange(true, ordering: .acquiringAndReleasing) { selector.wakeUp() }
    }

    // MARK: connections (loop thread)

    /// Adopts an accepted socket and starts reading it.
    func register(_ connection: Connection, handler: any ConnectionHandler) {
        let fd = Int(connection.fd)
        if fd >= connections.count {
            connections.append(contentsOf: repeatElement(nil, count: fd + 1 - connections.count))
        }
        connections[fd] = connection
        do {
            try selector.register(connection.fd, read: true, write: false)
        } catch {
            connections[fd] = nil
            Socket.close(connection.fd)
            onConnectionClosed()
            return
        }
        connection.start(handler: handler)
        if shuttingDown { connection.beginGracefulShutdown() }
    }

    /// Stops watching and closes a connection's socket.
    func deregister(_ connection: Connection) {
        let fd = Int(connection.fd)
        guard fd < connections.count, connections[fd] === connection else { return }
        selector.deregister(connection.fd)
        connections[fd] = nil
        Socket.close(connection.fd)
        onConnectionClosed()
    }

    /// Asks every connection to finish and close.
    func beginGracefulShutdown() {
        shuttingDown = true
        for case let connection? in connections { connection.beginGracefulShutdown() }
    }

    /// Closes every connection now.
    func abortAll() {
        shuttingDown = true
        for case let connection? in connections { connection.abort() }
    }

    // MARK: the loop

    private func run() {
        threadID.store(currentThreadID(), ordering: .relaxed)
        nextTick = now() &+ tickInterval
        while !stopRequested.load(ordering: .acquiring) {
            let timeout = localTasks.isEmpty ? Self.waitMilliseconds(until: nextTick, now: now()) : 0
            do {
                try selector.wait(timeoutMilliseconds: timeout) { event in handle(event) }
            } catch {
                // epoll_wait only fails on programming errors (EBADF, EINVAL); do not spin on one.
                usleep(10_000)
            }
            runTasks()
            let now = now()
            if now >= nextTick {
                nextTick = now &+ tickInterval
                for case let connection? in connections { connection.checkTimers(now: now) }
                runTasks()
            }
        }
        for case let connection? in connections { connection.closeImmediately() }
        localTasks.removeAll()
        threadID.store(0, ordering: .relaxed)
    }

    /// How long to wait for I/O before the tick at `deadline`, rounded up; 0 once it has passed. Reads the clock
    /// once: comparing with one reading and subtracting another overflowed (and trapped) when the deadline
    /// passed in between, which under load happened within a minute.
    static func waitMilliseconds(until deadline: UInt64, now: UInt64) -> Int32 {
        guard deadline > now else { return 0 }
        return Int32(clamping: (deadline - now) / 1_000_000 + 1)
    }

    private func handle(_ event: Selector.Event) {
        let fd = Int(event.fd)
        guard fd < connections.count, let connection = connections[fd] else { return }
        if event.writable { connection.writable() }
        if event.readable, connections[fd] === connection { connection.readable() }
    }

    private func runTasks() {
        if wakeQueued.load(ordering: .acquiring) {
            wakeQueued.store(false, ordering: .releasing)
            var tasks: [@Sendable () -> Void] = []
            remoteTasks.withLock { swap(&$0, &tasks) }
            for task in tasks { task() }
        }
        while !localTasks.isEmpty {
            let tasks = localTasks
            localTasks.removeAll(keepingCapacity: true)
            for task in tasks { task() }
        }
    }
}

/// An identifier for the calling thread, comparable across threads.
private func currentThreadID() -> UInt {
    #if canImport(Darwin)
        UInt(bitPattern: pthread_self())
    #else
        UInt(pthread_self())
    #endif
}
