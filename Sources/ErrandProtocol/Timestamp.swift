/// RFC 3339 UTC timestamps with millisecond precision ("2026-03-02T09:15:00.120Z"), without Foundation.
public enum Timestamp {
    /// Formats milliseconds since the Unix epoch.
    public static func rfc3339(millisecondsSinceEpoch ms: Int64) -> String {
        let millis = Int(((ms % 1000) + 1000) % 1000)
        var seconds = (ms - Int64(millis)) / 1000
        let secondOfDay = Int(((seconds % 86_400) + 86_400) % 86_400)
        seconds -= Int64(secondOfDay)
        let days = seconds / 86_400
        let (year, month, day) = civil(fromDays: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// Howard Hinnant's days-to-civil algorithm.
    private static func civil(fromDays days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}
