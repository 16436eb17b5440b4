import Testing

@testable import Errand

/// Query strings, timestamps and durations as the REST API reads them.
@Suite struct RESTParsingTests {
    @Test func decodesQueryStrings() {
        let query = QueryParameters("a=1&b=x%20y+z&c&a=2&d=%zz&e=%E2%9C%93&f=%")
        #expect(query["a"] == "1")
        #expect(query.values("a") == ["1", "2"])
        #expect(query["b"] == "x y z")
        #expect(query["c"] == "")
        #expect(query["d"] == "%zz")
        #expect(query["e"] == "✓")
        #expect(query["f"] == "%")
        #expect(query["missing"] == nil)
        #expect(QueryParameters(nil)["a"] == nil)
    }

    @Test func pathSegmentsKeepPlus() {
        #expect(QueryParameters.decode("a+b%2Fc", plusIsSpace: false) == "a+b/c")
    }

    @Test func readsTimestamps() {
        #expect(RESTValues.epochMilliseconds("0") == 0)
        #expect(RESTValues.epochMilliseconds("1772442900000") == 1_772_442_900_000)
        #expect(RESTValues.epochMilliseconds("1970-01-01T00:00:00Z") == 0)
        #expect(RESTValues.epochMilliseconds("2026-03-02T09:15:00.120Z") == 1_772_442_900_120)
        #expect(RESTValues.epochMilliseconds("2026-03-02T10:15:00.12+01:00") == 1_772_442_900_120)
        #expect(RESTValues.epochMilliseconds("2026-03-02T09:15:00.123456Z") == 1_772_442_900_123)
        #expect(RESTValues.epochMilliseconds("2026-03-02") == nil)
        #expect(RESTValues.epochMilliseconds("2026-13-02T09:15:00Z") == nil)
        #expect(RESTValues.epochMilliseconds("2026-03-02T09:15:00") == nil)
        #expect(RESTValues.epochMilliseconds("2026-03-02T09:15:00.Z") == nil)
        #expect(RESTValues.epochMilliseconds("yesterday") == nil)
    }

    @Test func readsDurations() {
        #expect(RESTValues.duration("30s") == .seconds(30))
        #expect(RESTValues.duration("1500ms") == .milliseconds(1500))
        #expect(RESTValues.duration("2m") == .seconds(120))
        #expect(RESTValues.duration("1.5") == .milliseconds(1500))
        #expect(RESTValues.duration("0") == .zero)
        #expect(RESTValues.duration("-1s") == nil)
        #expect(RESTValues.duration("5h") == nil)
        #expect(RESTValues.duration("") == nil)
        #expect(RESTValues.duration("s") == nil)
    }
}
