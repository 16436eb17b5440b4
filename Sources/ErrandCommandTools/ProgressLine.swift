/// A stdout line `@progress CURRENT[/TOTAL] [MESSAGE]` a command prints to report progress.
struct ProgressLine: Equatable {
    static let prefix = "@progress "

    var current: Double
    var total: Double?
    var message: String?

    /// The progress `line` reports, or `nil` when it is not a well-formed progress line (then it is output).
    init?(_ line: String) {
        guard line.hasPrefix(Self.prefix) else { return nil }
        let rest = line.dropFirst(Self.prefix.count).drop(while: { $0 == " " })
        let figures = rest.prefix(while: { $0 != " " })
        let parts = figures.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let current = Double(parts[0]), current.isFinite else { return nil }
        self.current = current
        if parts.count == 2 {
            guard let total = Double(parts[1]), total.isFinite else { return nil }
            self.total = total
        }
        let message = rest.dropFirst(figures.count).drop(while: { $0 == " " })
        self.message = message.isEmpty ? nil : String(message)
    }
}
