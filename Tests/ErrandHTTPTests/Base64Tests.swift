import ErrandHTTP
import Testing

/// RFC 4648 decoding in both alphabets: HTTP/2's `HTTP2-Settings` (URL-safe) and MCP's `=?base64?…?=` (standard).
struct Base64Tests {
    @Test func urlAlphabet() {
        #expect(Base64.decode("", alphabet: .url) == [])
        #expect(Base64.decode("AAMAAABk", alphabet: .url) == [0, 3, 0, 0, 0, 100])
        #expect(Base64.decode("_-8", alphabet: .url) == [0xFF, 0xEF])
        #expect(Base64.decode("AA==", alphabet: .url) == [0])
        #expect(Base64.decode("a+b/", alphabet: .url) == nil)  // standard characters are not URL-safe ones
    }

    @Test func standardAlphabet() {
        #expect(Base64.decode("aGVsbG8=") == Array("hello".utf8))
        #expect(Base64.decode("aGVsbG8") == Array("hello".utf8))  // padding is optional
        #expect(Base64.decode("/+8=") == [0xFF, 0xEF])
        #expect(Base64.decode("_-8") == nil)  // URL-safe characters are not standard ones
    }

    @Test func malformedInputIsRefused() {
        #expect(Base64.decode("A") == nil)  // a lone sextet is not a byte
        #expect(Base64.decode("AA=A") == nil)  // data after padding
        #expect(Base64.decode("A===") == nil)  // more than two `=`
        #expect(Base64.decode("AA AA") == nil)  // a space is outside the alphabet
        #expect(Base64.decode("AA=A", alphabet: .url) == nil)
    }
}
