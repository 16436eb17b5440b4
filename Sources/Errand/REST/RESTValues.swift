/// Parsers for the values REST query parameters carry: timestamps and durations.
enum RESTValues {
    /// Milliseconds since the Unix epoch of an RFC 3339 timestamp (`2026-03-02T09:15:00Z`,
    /// `2026-03-02T10:15:00.5+01:00`) or of a plain integer of epoch milliseconds; `nil` if it is neither.
    static func epochMilliseconds(_ text: String) -> Int64? {
        if let ms = Int64(text) { return ms }
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int, is allowed: String) -> Bool {
            index < bytes.count && allowed.utf8.contains(bytes[index])
        }
        guard bytes.count >= 20, let year = number(0..<4), byte(4, is: "-"), let month = number(5..<7),
            byte(7, is: "-"), let day = number(8..<10), byte(10, is: "Tt "), let hour = number(11..<13),
            byte(13, is: ":"), let minute = number(14..<16), byte(16, is: ":"), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var millis = 0
        if byte(index, is: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                if digits < 3 { millis = millis * 10 + Int(bytes[index] - UInt8(ascii: "0")) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            if digits < 3 { for _ in digits..<3 { millis *= 10 } }
        }
        var offsetMinutes = 0
        if byte(index, is: "Zz"), index + 1 == bytes.count {
            offsetMinutes = 0
        } else if byte(index, is: "+-"), index + 6 == bytes.count, let offsetHour = number(index + 1..<index + 3),
            byte(index + 3, is: ":"), let offsetMinute = number(index + 4..<index + 6), offsetHour < 24,
            offsetMinute < 60
        {
            offsetMinutes = (offsetHour * 60 + offsetMinute) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        return seconds * 1000 + Int64(millis)
    }

    /// A duration like `30s`, `1500ms`, `2m` or a bare number of seconds (`1.5`); `nil` if malformed or negative.
    static func duration(_ text: String) -> Duration? {
        let units: [(suffix: String, millisecondsPerUnit: Double)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        var number = Substring(text)
        var scale = 1000.0
        for unit in units where text.hasSuffix(unit.suffix) {
            number = text.dropLast(unit.suffix.count)
            scale = unit.millisecondsPerUnit
            break
        }
        guard let value = Double(number), value.isFinite, value >= 0, value < 1e9 else { return nil }
        return .milliseconds(Int64((value * scale).rounded()))
    }

    /// Howard Hinnant's days-from-civil algorithm.
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
