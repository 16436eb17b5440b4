#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thin, typed wrappers over the POSIX socket calls the server uses. Every call goes through
/// ``retryingSyscall(_:_:)``; nothing here knows about HTTP.
enum Socket {
    /// A listening socket bound to `host:port`.
    ///
    /// `host` is a numeric IPv4/IPv6 address or a name (`localhost`); each address it resolves to is
    /// tried in order until one binds. The socket is non-blocking, close-on-exec, has `SO_REUSEADDR`, and
    /// an IPv6 socket accepts IPv6 only.
    /// - Returns: the descriptor and the port actually bound (useful when `port` is 0).
    static func listen(host: String, port: Int, backlog: Int) throws(SocketError) -> (fd: Int32, port: Int) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = socketStreamType
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            let message = String(cString: gai_strerror(status))
            throw SocketError(errno: EINVAL, operation: "resolve listen address \(host) (\(message))")
        }
        defer { freeaddrinfo(list) }
        var lastError = SocketError(errno: EADDRNOTAVAIL, operation: "bind to \(host):\(port)")
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            do {
                return try bindAndListen(info.pointee, host: host, port: port, backlog: backlog)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private static func bindAndListen(
        _ info: addrinfo, host: String, port: Int, backlog: Int
    ) throws(SocketError) -> (fd: Int32, port: Int) {
        let fd = try blockingSyscall("create a listening socket for \(host)") {
            socket(info.ai_family, socketStreamType, 0)
        }
        do {
            try setNonBlockingAndCloseOnExec(fd)
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "set SO_REUSEADDR")
            if info.ai_family == AF_INET6 {
                try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1, "set IPV6_V6ONLY")
            }
            _ = try blockingSyscall("bind to \(host):\(port)") { bind(fd, info.ai_addr, info.ai_addrlen) }
            _ = try blockingSyscall("listen on \(host):\(port)") { systemListen(fd, Int32(clamping: backlog)) }
            return (fd, try localPort(fd))
        } catch {
            close(fd)
            throw error
        }
    }

    /// The port `fd` is bound to.
    static func localPort(_ fd: Int32) throws(SocketError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { (pointer) throws(SocketError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(SocketError) in
                try blockingSyscall("read the bound address") { getsockname(fd, address, &length) }
            }
        }
        return addressAndPort(storage).port
    }

    /// Accepts one pending connection as a non-blocking, close-on-exec socket, or `nil` if none is waiting.
    static func accept(_ listener: Int32) throws(SocketError) -> Int32? {
        let result = try retryingSyscall("accept a connection") { acceptCall(listener, nil, nil) }
        guard case .processed(let fd) = result else { return nil }
        do {
            try setNonBlockingAndCloseOnExec(fd)
            #if canImport(Darwin)
                try setOption(fd, SOL_SOCKET, SO_NOSIGPIPE, 1, "set SO_NOSIGPIPE")
            #endif
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Sets `O_NONBLOCK` and `FD_CLOEXEC`.
    static func setNonBlockingAndCloseOnExec(_ fd: Int32) throws(SocketError) {
        let flags = try blockingSyscall("read socket flags") { fcntl(fd, F_GETFL) }
        _ = try blockingSyscall("make the socket non-blocking") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        _ = try blockingSyscall("set close-on-exec") { fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }

    /// `setsockopt` with an `Int32` value.
    static func setOption(
        _ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ what: @autoclosure () -> String
    ) throws(SocketError) {
        var value = value
        _ = try blockingSyscall(what()) {
            setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Reads into `buffer`: the byte count (0 at end of stream) or ``IOResult/wouldBlock``.
    @inline(__always)
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> IOResult<Int> {
        try retryingSyscall("read from a connection") { systemRead(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes as much of `vectors` as the socket takes in one `sendmsg`, without raising `SIGPIPE`.
    @inline(__always)
    static func send(_ fd: Int32, _ vectors: UnsafeMutableBufferPointer<iovec>) throws(SocketError) -> IOResult<Int> {
        var message = msghdr()
        message.msg_iov = vectors.baseAddress
        message.msg_iovlen = numericCast(vectors.count)
        return try retryingSyscall("write to a connection") { sendmsg(fd, &message, noSignalFlag) }
    }

    /// Half-closes the sending side (the peer reads end-of-stream); failures are ignored, as the socket
    /// is about to close anyway.
    static func shutdownWrite(_ fd: Int32) {
        _ = try? retryingSyscall("shut down writing") { shutdown(fd, shutWrite) }
    }

    /// Closes a descriptor; `EINTR` is not retried (the descriptor is gone either way on Linux).
    static func close(_ fd: Int32) {
        _ = systemClose(fd)
    }

    /// `host:port` of the peer, for logs; `-` if unknown.
    static func peerName(_ fd: Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard status == 0 else { return "-" }
        let (address, port) = addressAndPort(storage)
        return address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    private static func addressAndPort(_ storage: sockaddr_storage) -> (address: String, port: Int) {
        var storage = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        return withUnsafePointer(to: &storage) { pointer in
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var inAddress = address.pointee.sin_addr
                    inet_ntop(AF_INET, &inAddress, &text, socklen_t(text.count))
                    return (string(text), Int(UInt16(bigEndian: address.pointee.sin_port)))
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var inAddress = address.pointee.sin6_addr
                    inet_ntop(AF_INET6, &inAddress, &text, socklen_t(text.count))
                    return (string(text), Int(UInt16(bigEndian: address.pointee.sin6_port)))
                }
            default:
                return ("-", 0)
            }
        }
    }

    private static func string(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Ignores `SIGPIPE` for the whole process: a peer that vanishes mid-write must yield `EPIPE`, not
    /// kill the server.
    static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }
}

#if os(Linux)
    private let socketStreamType = Int32(SOCK_STREAM.rawValue)
    private let noSignalFlag = Int32(MSG_NOSIGNAL)
    private let shutWrite = Int32(SHUT_WR)
    @inline(__always) private func systemListen(_ fd: Int32, _ backlog: Int32) -> Int32 { Glibc.listen(fd, backlog) }
    private let acceptCall = Glibc.accept
    private let systemClose = Glibc.close
    @inline(__always) private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        Glibc.read(fd, buffer, count)
    }
#else
    private let socketStreamType = SOCK_STREAM
    private let noSignalFlag: Int32 = 0
    private let shutWrite = SHUT_WR
    @inline(__always) private func systemListen(_ fd: Int32, _ backlog: Int32) -> Int32 { Darwin.listen(fd, backlog) }
    private let acceptCall = Darwin.accept
    private let systemClose = Darwin.close
    @inline(__always) private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        Darwin.read(fd, buffer, count)
    }
#endif
