import ErrandProtocol
import Testing

@Suite struct TimestampTests {
    @Test(
        "formats RFC 3339 UTC with milliseconds",
        arguments: [
            (0, "1970-01-01T00:00:00.000Z"),
            (1, "1970-01-01T00:00:00.001Z"),
            (999, "1970-01-01T00:00:00.999Z"),
            (86_399_999, "1970-01-01T23:59:59.999Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),  // leap day of a year divisible by 400
            (951_868_800_000, "2000-03-01T00:00:00.000Z"),
            (1_709_164_800_000, "2024-02-29T00:00:00.000Z"),
            (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),  // 2100 is not a leap year
            (1_772_442_900_120, "2026-03-02T09:15:00.120Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (-86_400_000, "1969-12-31T00:00:00.000Z"),
            (-1_000, "1969-12-31T23:59:59.000Z"),
        ] as [(Int64, String)])
    func formats(milliseconds: Int64, text: String) {
        #expect(Timestamp.rfc3339(millisecondsSinceEpoch: milliseconds) == text)
    }
}
