import ErrandProtocol
import Testing

@Suite struct JSONParserTests {
    static let accepted: [(String, JSONValue)] = [
        ("0", .int(0)), ("-0", .int(0)), ("42", .int(42)), ("-17", .int(-17)),
        ("9223372036854775807", .int(.max)), ("-9223372036854775808", .int(.min)),
        ("9223372036854775808", .double(9_223_372_036_854_775_808)), ("1.5", .double(1.5)), ("-0.25", .double(-0.25)),
        ("1e3", .double(1000)), ("1E+3", .double(1000)), ("2.5e-3", .double(0.0025)), ("1.0", .double(1)),
        ("true", .bool(true)), ("false", .bool(false)), ("null", .null),
        ("\"\"", .string("")), ("\"abc\"", .string("abc")),
        (#""\"\\\/\b\f\n\r\t""#, .string("\"\\/\u{08}\u{0C}\n\r\t")),
        (#""\u0041\u00e9\u4E2D""#, .string("Aé中")),
        (#""\ud83d\ude00""#, .string("😀")),
        ("\"é中😀\"", .string("é中😀")),
        ("[]", .array([])), ("{}", .object([:])),
        (" \t\r\n[1, \"a\", null] \n", .array([.int(1), .string("a"), .null])),
        (#"{"a":{"b":[true,{}]},"c":-1.5e2}"#, ["a": ["b": [true, [:]]], "c": .double(-150)]),
        (#"{"k":1,"k":2}"#, ["k": 2]),
    ]

    @Test("accepts RFC 8259 texts", arguments: accepted)
    func accepts(text: String, expected: JSONValue) throws {
        #expect(try JSONParser.parse(text) == expected)
    }

    static let rejected: [String] = [
        "", " ", "01", "-", "+1", ".5", "1.", "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity", "1e400",
        "tru", "nul", "True", "[1,]", "[,1]", "{\"a\":1,}", "{a:1}", "{'a':1}", "{\"a\" 1}", "{\"a\":}", "[1 2]",
        "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"tab\there\"", "\"new\nline\"",
        #""\ud83d""#, #""\ud83dx""#, #""\ud83d\u0041""#, #""\ude00""#,
        "[1] x", "{} {}", "1 2", "[", "{", "]", "\"a\" :",
    ]

    @Test("rejects what RFC 8259 does not allow", arguments: rejected)
    func rejects(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    static let invalidUTF8: [[UInt8]] = [
        [0x22, 0xFF, 0x22],  // never valid
        [0x22, 0xC0, 0xAF, 0x22],  // overlong "/"
        [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong, three bytes
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-16 surrogate encoded in UTF-8
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // past U+10FFFF
        [0x22, 0xC3, 0x22],  // truncated sequence
        [0x22, 0xE4, 0xB8, 0x22],  // truncated sequence
        [0x22, 0x80, 0x22],  // lone continuation byte
    ]

    @Test("rejects invalid UTF-8 in strings", arguments: invalidUTF8)
    func rejectsInvalidUTF8(bytes: [UInt8]) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
    }

    @Test func acceptsValidMultiByteUTF8() throws {
        let bytes: [UInt8] = [0x22, 0xC3, 0xA9, 0xE4, 0xB8, 0xAD, 0xF0, 0x9F, 0x98, 0x80, 0xF4, 0x8F, 0xBF, 0xBF, 0x22]
        #expect(try JSONParser.parse(bytes) == .string("é中😀\u{10FFFF}"))
    }

    @Test func depthLimitIsEnforced() throws {
        let limits = JSONParser.Limits(maxDepth: 8)
        let ok = String(repeating: "[", count: 8) + String(repeating: "]", count: 8)
        #expect(throws: Never.self) { try JSONParser.parse(ok, limits: limits) }
        let deep = String(repeating: "[", count: 9) + String(repeating: "]", count: 9)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep, limits: limits) }
        let deepObject = String(repeating: "{\"a\":", count: 9) + "1" + String(repeating: "}", count: 9)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deepObject, limits: limits) }
        // The default limit stops a hostile nesting long before the stack would.
        let hostile = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(hostile) }
    }

    @Test func errorsNameTheOffset() {
        do {
            _ = try JSONParser.parse("[1, 2] x")
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 7)
            #expect(error.description.contains("byte 7"))
        }
    }

    @Test func integersStayIntegers() throws {
        let value = try JSONParser.parse(#"{"ttl":60000,"poll":500.0,"big":12345678901234}"#)
        #expect(value["ttl"] == .int(60000))
        #expect(value["poll"] == .double(500))
        #expect(value["big"] == .int(12_345_678_901_234))
        #expect(value["ttl"]?.intValue == 60000)
        #expect(value["poll"]?.intValue == 500)
    }
}
