import ErrandProtocol
import Testing

@testable import ErrandCommandTools

/// The pure pieces under the process layer: line splitting, progress lines, durations, templates.
@Suite struct LineParsingTests {
    func split(_ chunks: [String], maxLineBytes: Int = 100) -> [LineSplitter.Line] {
        var splitter = LineSplitter(maxLineBytes: maxLineBytes)
        var lines: [LineSplitter.Line] = []
        for chunk in chunks {
            lines += Array(chunk.utf8).withUnsafeBytes { splitter.append($0) }
        }
        if let last = splitter.finish() { lines.append(last) }
        return lines
    }

    @Test func linesSpanningChunksAreJoined() {
        let lines = split(["he", "llo\nwor", "ld\r\n", "tail"])
        #expect(lines.map(\.text) == ["hello", "world", "tail"])
        #expect(lines.map(\.terminated) == [true, true, false])
    }

    @Test func aLongLineIsCutOnceAndTheRestDropped() {
        let lines = split(["abcdefgh", "ijkl\nnext\n"], maxLineBytes: 5)
        #expect(lines.map(\.text) == ["abcde" + LineSplitter.truncationMarker, "next"])
        #expect(lines.map(\.truncated) == [true, false])
    }

    @Test func progressLines() {
        func parsed(_ line: String) -> String? {
            ProgressLine(line).map { "\($0.current) \($0.total.map { "\($0)" } ?? "-") \($0.message ?? "-")" }
        }
        #expect(parsed("@progress 1/2 half done") == "1.0 2.0 half done")
        #expect(parsed("@progress 0.5") == "0.5 - -")
        #expect(parsed("@progress   3/4") == "3.0 4.0 -")
        for bad in ["@progress x", "@progress 1/", "@progress 1/y msg", "@progress nan", "progress 1/2", "@progress"] {
            #expect(parsed(bad) == nil, "\(bad)")
        }
    }

    @Test func durations() {
        #expect(DurationText.parse("500ms") == .milliseconds(500))
        #expect(DurationText.parse("30s") == .seconds(30))
        #expect(DurationText.parse("10m") == .seconds(600))
        #expect(DurationText.parse("2h") == .seconds(7200))
        for bad in ["", "10", "1.5s", "-1s", "5 s", "5d", "s", "9999999999999h"] {
            #expect(DurationText.parse(bad) == nil, "\(bad)")
        }
        #expect(DurationText.format(.milliseconds(1500)) == "1500ms")
        #expect(DurationText.format(.seconds(120)) == "2m")
    }

    @Test func templatesEscapeBraces() throws {
        #expect(try ArgvTemplate("{{x}}").render([:]) == ["{x}"])
        #expect(try ArgvTemplate("a{n}b").render(["n": 1]) == ["a1b"])
        #expect(try ArgvTemplate("").render([:]) == [""])
        #expect(throws: ArgvTemplate.SyntaxError.self) { try ArgvTemplate("{}") }
        #expect(throws: ArgvTemplate.SyntaxError.self) { try ArgvTemplate("a}") }
    }

    @Test func toolNames() {
        #expect(ToolName.isValid("a.b-c_D9"))
        #expect(!ToolName.isValid(""))
        #expect(!ToolName.isValid("a b"))
        #expect(!ToolName.isValid("é"))
        #expect(ToolName.isValid(String(repeating: "a", count: 128)))
        #expect(!ToolName.isValid(String(repeating: "a", count: 129)))
    }
}
