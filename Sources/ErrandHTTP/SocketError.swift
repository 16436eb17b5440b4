#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed system call: what the server was trying to do, and the `errno` it got.
///
/// Every socket call in ErrandHTTP goes through ``retryingSyscall(_:_:)``, so every socket failure
/// surfaces as one of these, never as a bare return code.
public struct SocketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `errno` value the call failed with.
    public var errno: Int32
    /// What was attempted, in words a person can act on, e.g. `bind to 127.0.0.1:8080`.
    public var operation: String

    public init(errno: Int32, operation: String) {
        self.errno = errno
        self.operation = operation
    }

    public var description: String {
        "\(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The outcome of a non-blocking call: it did something, or it would have had to wait.
enum IOResult<Value> {
    case processed(Value)
    case wouldBlock
}

/// Runs `call` (a C function returning `-1` and setting `errno` on failure), retrying `EINTR`,
/// mapping `EAGAIN`/`EWOULDBLOCK` to ``IOResult/wouldBlock`` and every other failure to a
/// ``SocketError`` naming `operation`.
///
/// `operation` is an autoclosure so that the hot path never builds the message.
@inline(__always)
func retryingSyscall<Result: FixedWidthInteger>(
    _ operation: @autoclosure () -> String, _ call: () -> Result
) throws(SocketError) -> IOResult<Result> {
    while true {
        let result = call()
        if result != -1 { return .processed(result) }
        let code = errno
        switch code {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        default: throw SocketError(errno: code, operation: operation())
        }
    }
}

/// ``retryingSyscall(_:_:)`` for calls that never legitimately return `EAGAIN` (setup calls on
/// sockets, `bind`, `listen`): a would-block there is reported as an error.
@inline(__always)
func blockingSyscall<Result: FixedWidthInteger>(
    _ operation: @autoclosure () -> String, _ call: () -> Result
) throws(SocketError) -> Result {
    switch try retryingSyscall(operation(), call) {
    case .processed(let value): return value
    case .wouldBlock: throw SocketError(errno: EAGAIN, operation: operation())
    }
}
