import ErrandProtocol
import Testing

@Suite struct JSONWriterTests {
    @Test(
        "writes compact JSON",
        arguments: [
            (JSONValue.null, "null"), (true, "true"), (false, "false"), (.int(-7), "-7"), (.double(1.5), "1.5"),
            (.double(3), "3"), (.double(.infinity), "null"), (.double(.nan), "null"), ("a/b", #""a/b""#),
            ("q\"\\\n\r\t\u{01}\u{1F}", #""q\"\\\n\r\t\u0001\u001f""#), ([1, "x", nil], #"[1,"x",null]"#),
            (["b": 1, "a": [:]], #"{"a":{},"b":1}"#),
        ] as [(JSONValue, String)])
    func writes(value: JSONValue, text: String) {
        #expect(JSONWriter.string(value, options: [.sortedKeys]) == text)
    }

    static let samples: [JSONValue] = [
        [
            "jsonrpc": "2.0", "id": 7,
            "result": ["content": [["type": "text", "text": "héllo 😀\n"]], "isError": false],
        ],
        [.int(.max), .int(.min), .double(0.1), .double(-2.5e-8), .double(1.7976931348623157e308), .string("")],
        ["nested": [[[["deep": nil]]]], "unicode": "\u{7F}\u{80}\u{FFFF}\u{10FFFF}"],
    ]

    @Test("parse(write(v)) == v", arguments: samples)
    func roundTrip(value: JSONValue) throws {
        let bytes = JSONWriter.bytes(value)
        #expect(try JSONParser.parse(bytes) == value)
        let sorted = JSONWriter.string(value, options: [.sortedKeys])
        #expect(try JSONParser.parse(sorted) == value)
        #expect(JSONWriter.string(try JSONParser.parse(sorted), options: [.sortedKeys]) == sorted)
    }

    @Test func descriptionIsSortedCompactJSON() {
        let value: JSONValue = ["z": 1, "a": [true, nil]]
        #expect(value.description == #"{"a":[true,null],"z":1}"#)
    }
}
