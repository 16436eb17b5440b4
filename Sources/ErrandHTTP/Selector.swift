#if os(Linux)
    import CErrandLinux
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Readiness for one event loop's descriptors: epoll on Linux, kqueue elsewhere, plus a wake-up that any
/// thread can trigger. Level-triggered: a descriptor with unread input is reported again on the next wait.
///
/// Not thread-safe except ``wakeUp()``; everything else runs on the loop's thread.
final class Selector: @unchecked Sendable {
    /// One readiness report.
    struct Event {
        var fd: Int32
        /// Readable, or the peer hung up / the socket has an error (a read will say which).
        var readable: Bool
        var writable: Bool
    }

    static let maxEventsPerWait = 256

    private let selectorFD: Int32
    private let wakeReadFD: Int32
    private let wakeWriteFD: Int32
    #if os(Linux)
        private let events: UnsafeMutablePointer<epoll_event>
    #else
        private let events: UnsafeMutablePointer<kevent>
    #endif

    init() throws(SocketError) {
        #if os(Linux)
            selectorFD = try blockingSyscall("create an epoll instance") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        #else
            selectorFD = try blockingSyscall("create a kqueue") { kqueue() }
        #endif
        events = .allocate(capacity: Self.maxEventsPerWait)
        var pipeFDs: [Int32] = [0, 0]
        _ = try blockingSyscall("create the event loop's wake-up pipe") { pipe(&pipeFDs) }
        wakeReadFD = pipeFDs[0]
        wakeWriteFD = pipeFDs[1]
        try Socket.setNonBlockingAndCloseOnExec(wakeReadFD)
        try Socket.setNonBlockingAndCloseOnExec(wakeWriteFD)
        try register(wakeReadFD, read: true, write: false)
    }

    deinit {
        Socket.close(selectorFD)
        Socket.close(wakeReadFD)
        Socket.close(wakeWriteFD)
        events.deallocate()
    }

    /// Starts watching `fd`.
    func register(_ fd: Int32, read: Bool, write: Bool) throws(SocketError) {
        try control(fd, read: read, write: write, adding: true)
    }

    /// Changes what `fd` is watched for.
    func reregister(_ fd: Int32, read: Bool, write: Bool) throws(SocketError) {
        try control(fd, read: read, write: write, adding: false)
    }

    /// Stops watching `fd`; call before closing it.
    func deregister(_ fd: Int32) {
        #if os(Linux)
            _ = epoll_ctl(selectorFD, EPOLL_CTL_DEL, fd, nil)
        #else
            var changes = [
                Self.change(fd, filter: EVFILT_READ, flags: EV_DELETE),
                Self.change(fd, filter: EVFILT_WRITE, flags: EV_DELETE),
            ]
            _ = kevent(selectorFD, &changes, 2, nil, 0, nil)
        #endif
    }

    /// Makes a ``wait(timeoutMilliseconds:_:)`` in progress (or the next one) return. Any thread.
    func wakeUp() {
        var byte: UInt8 = 1
        _ = write(wakeWriteFD, &byte, 1)
    }

    /// Waits up to `timeoutMilliseconds` (-1: for ever) and reports each ready descriptor.
    func wait(timeoutMilliseconds: Int32, _ body: (Event) -> Void) throws(SocketError) {
        #if os(Linux)
            let count: Int32
            switch try retryingSyscall(
                "wait for readiness",
                {
                    epoll_wait(selectorFD, events, Int32(Self.maxEventsPerWait), timeoutMilliseconds)
                })
            {
            case .processed(let ready): count = ready
            case .wouldBlock: return
            }
            for index in 0..<Int(count) {
                let event = events[index]
                let flags = event.events
                let fd = event.data.fd
                if fd == wakeReadFD {
                    drainWakeUps()
                    continue
                }
                body(
                    Event(
                        fd: fd, readable: flags & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0,
                        writable: flags & (EPOLLOUT.rawValue | EPOLLERR.rawValue) != 0))
            }
        #else
            var timeout = timespec(
                tv_sec: Int(timeoutMilliseconds / 1000), tv_nsec: Int(timeoutMilliseconds % 1000) * 1_000_000)
            let count: Int32
            switch try retryingSyscall(
                "wait for readiness",
                {
                    kevent(
                        selectorFD, nil, 0, events, Int32(Self.maxEventsPerWait),
                        timeoutMilliseconds < 0 ? nil : &timeout
                    )
                })
            {
            case .processed(let ready): count = ready
            case .wouldBlock: return
            }
            for index in 0..<Int(count) {
                let event = events[index]
                let fd = Int32(event.ident)
                if fd == wakeReadFD {
                    drainWakeUps()
                    continue
                }
                let failed = event.flags & UInt16(EV_EOF | EV_ERROR) != 0
                body(
                    Event(
                        fd: fd, readable: Int32(event.filter) == EVFILT_READ || failed,
                        writable: Int32(event.filter) == EVFILT_WRITE))
            }
        #endif
    }

    private func drainWakeUps() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while read(wakeReadFD, &scratch, scratch.count) > 0 {}
    }

    private func control(_ fd: Int32, read: Bool, write: Bool, adding: Bool) throws(SocketError) {
        #if os(Linux)
            var event = epoll_event()
            event.events = (read ? EPOLLIN.rawValue : 0) | (write ? EPOLLOUT.rawValue : 0)
            event.data.fd = fd
            _ = try blockingSyscall(adding ? "watch a socket" : "change what a socket is watched for") {
                epoll_ctl(selectorFD, adding ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event)
            }
        #else
            var changes = [
                Self.change(fd, filter: EVFILT_READ, flags: EV_ADD | (read ? EV_ENABLE : EV_DISABLE)),
                Self.change(fd, filter: EVFILT_WRITE, flags: EV_ADD | (write ? EV_ENABLE : EV_DISABLE)),
            ]
            _ = try blockingSyscall(adding ? "watch a socket" : "change what a socket is watched for") {
                kevent(selectorFD, &changes, 2, nil, 0, nil)
            }
        #endif
    }

    #if !os(Linux)
        private static func change(_ fd: Int32, filter: Int32, flags: Int32) -> kevent {
            kevent(ident: UInt(fd), filter: Int16(filter), flags: UInt16(flags), fflags: 0, data: 0, udata: nil)
        }
    #endif
}
