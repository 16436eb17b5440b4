/// Durations as a tool file writes them: a whole number and a unit, `500ms`, `30s`, `10m`, `2h`.
enum DurationText {
    /// The duration `text` names, or `nil` when it is not a whole number followed by `ms`, `s`, `m` or `h`.
    static func parse(_ text: String) -> Duration? {
        let digits = text.prefix(while: \.isASCII).prefix(while: \.isNumber)
        guard !digits.isEmpty, digits.count <= 12, let value = Int64(digits) else { return nil }
        switch text.dropFirst(digits.count) {
        case "ms": return .milliseconds(value)
        case "s": return .seconds(value)
        case "m": return .seconds(value * 60)
        case "h": return .seconds(value * 3600)
        default: return nil
        }
    }

    /// Whole milliseconds of `duration`.
    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    /// A short rendering for messages: `1500ms`, `30s`, `10m`, `2h`.
    static func format(_ duration: Duration) -> String {
        let total = milliseconds(duration)
        if total % 3_600_000 == 0 && total > 0 { return "\(total / 3_600_000)h" }
        if total % 60_000 == 0 && total > 0 { return "\(total / 60_000)m" }
        if total % 1000 == 0 { return "\(total / 1000)s" }
        return "\(total)ms"
    }
}
