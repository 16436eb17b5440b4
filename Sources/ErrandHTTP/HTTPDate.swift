#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `Date` header value (IMF-fixdate, RFC 9110 §5.6.7), formatted at most once per second.
///
/// Not thread-safe: each event loop owns one.
struct HTTPDateCache {
    private var second = -1
    private var cached: [UInt8] = []

    /// `Sun, 06 Nov 1994 08:49:37 GMT` for the current second.
    mutating func current() -> [UInt8] {
        let now = time(nil)
        if now != second {
            second = now
            cached = Self.format(secondsSinceEpoch: now)
        }
        return cached
    }

    static func format(secondsSinceEpoch: Int) -> [UInt8] {
        var seconds = time_t(secondsSinceEpoch)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var out: [UInt8] = []
        out.reserveCapacity(29)
        out.append(contentsOf: days[Int(parts.tm_wday)].utf8)
        out.append(contentsOf: ", ".utf8)
        twoDigits(Int(parts.tm_mday), into: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: months[Int(parts.tm_mon)].utf8)
        out.append(UInt8(ascii: " "))
        let year = Int(parts.tm_year) + 1900
        twoDigits(year / 100, into: &out)
        twoDigits(year % 100, into: &out)
        out.append(UInt8(ascii: " "))
        twoDigits(Int(parts.tm_hour), into: &out)
        out.append(UInt8(ascii: ":"))
        twoDigits(Int(parts.tm_min), into: &out)
        out.append(UInt8(ascii: ":"))
        twoDigits(Int(parts.tm_sec), into: &out)
        out.append(contentsOf: " GMT".utf8)
        return out
    }

    private static func twoDigits(_ value: Int, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "0") + UInt8(value / 10 % 10))
        out.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}
