#if canImport(Glibc)
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
    private let events: UnsafeMutableRawPointer
    /// Scratch `epoll_event` for `epoll_ctl`.
    private let controlEvent = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 8)

    init() throws(SocketError) {
        #if os(Linux)
            guard let epoll = Epoll.functions else {
                throw SocketError(errno: ENOSYS, operation: "find epoll in the C library")
            }
            selectorFD = try blockingSyscall("create an epoll instance") { epoll.create(Epoll.cloexec) }
            events = .allocate(byteCount: Epoll.eventStride * Self.maxEventsPerWait, alignment: 8)
        #else
            selectorFD = try blockingSyscall("create a kqueue") { kqueue() }
            events = .allocate(
                byteCount: MemoryLayout<kevent>.stride * Self.maxEventsPerWait,
                alignment: MemoryLayout<kevent>.alignment)
        #endif
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
        controlEvent.deallocate()
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
            _ = Epoll.functions?.control(selectorFD, Epoll.controlDelete, fd, nil)
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
            guard let epoll = Epoll.functions else { return }
            let count: Int32
            switch try retryingSyscall(
                "wait for readiness",
                {
                    epoll.wait(selectorFD, events, Int32(Self.maxEventsPerWait), timeoutMilliseconds)
                })
            {
            case .processed(let ready): count = ready
            case .wouldBlock: return
            }
            for index in 0..<Int(count) {
                let base = events + index * Epoll.eventStride
                let flags = base.loadUnaligned(as: UInt32.self)
                let fd = Int32(
                    truncatingIfNeeded: base.loadUnaligned(fromByteOffset: Epoll.dataOffset, as: UInt64.self))
                if fd == wakeReadFD {
                    drainWakeUps()
                    continue
                }
                body(
                    Event(
                        fd: fd, readable: flags & (Epoll.input | Epoll.hangUp | Epoll.error) != 0,
                        writable: flags & (Epoll.output | Epoll.error) != 0))
            }
        #else
            var timeout = timespec(
                tv_sec: Int(timeoutMilliseconds / 1000), tv_nsec: Int(timeoutMilliseconds % 1000) * 1_000_000)
            let list = events.assumingMemoryBound(to: kevent.self)
            let count: Int32
            switch try retryingSyscall(
                "wait for readiness",
                {
                    kevent(
                        selectorFD, nil, 0, list, Int32(Self.maxEventsPerWait), timeoutMilliseconds < 0 ? nil : &timeout
                    )
                })
            {
            case .processed(let ready): count = ready
            case .wouldBlock: return
            }
            for index in 0..<Int(count) {
                let event = list[index]
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
            guard let epoll = Epoll.functions else { return }
            let flags = (read ? Epoll.input : 0) | (write ? Epoll.output : 0)
            controlEvent.storeBytes(of: flags, toByteOffset: 0, as: UInt32.self)
            controlEvent.storeBytes(
                of: UInt64(UInt32(bitPattern: fd)), toByteOffset: Epoll.dataOffset, as: UInt64.self)
            _ = try blockingSyscall(adding ? "watch a socket" : "change what a socket is watched for") {
                epoll.control(selectorFD, adding ? Epoll.controlAdd : Epoll.controlModify, fd, controlEvent)
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

#if os(Linux)
    /// epoll(7), reached through the C library's symbols at run time: the Glibc module that ships with Swift
    /// does not export `<sys/epoll.h>`, and this package has no C shim target of its own. The constants and
    /// the `epoll_event` layout (packed to 12 bytes on x86-64 only) are those of the Linux UAPI headers.
    enum Epoll {
        struct Functions: @unchecked Sendable {
            let create: @convention(c) (Int32) -> Int32
            let control: @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
            let wait: @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
        }

        static let functions: Functions? = {
            guard let create = dlsym(nil, "epoll_create1"), let control = dlsym(nil, "epoll_ctl"),
                let wait = dlsym(nil, "epoll_wait")
            else { return nil }
            return Functions(
                create: unsafeBitCast(create, to: (@convention(c) (Int32) -> Int32).self),
                control: unsafeBitCast(
                    control, to: (@convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32).self),
                wait: unsafeBitCast(
                    wait, to: (@convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32).self))
        }()

        static let input: UInt32 = 0x001
        static let output: UInt32 = 0x004
        static let error: UInt32 = 0x008
        static let hangUp: UInt32 = 0x010
        static let controlAdd: Int32 = 1
        static let controlDelete: Int32 = 2
        static let controlModify: Int32 = 3
        static let cloexec: Int32 = 0o2_000_000
        #if arch(x86_64)
            static let eventStride = 12
            static let dataOffset = 4
        #else
            static let eventStride = 16
            static let dataOffset = 8
        #endif
    }
#endif
