import Testing

@testable import Errand

/// SHA-256, token generation and the tokens file format.
@Suite struct AuthTokensFileTests {
    @Test(
        "SHA-256 test vectors (FIPS 180-4 examples and others)",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
            ),
            (
                "The quick brown fox jumps over the lazy dog",
                "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
            ),
        ])
    func sha256(input: String, digest: String) {
        #expect(SHA256.hex(input) == digest)
    }

    @Test func sha256OfAMillionAs() {
        let input = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(
            SHA256.hexString(SHA256.hash(input)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func sha256AroundBlockBoundaries() {
        // Lengths 55, 56 and 64 change how padding spills into a second block.
        #expect(
            SHA256.hex(String(repeating: "a", count: 55))
                == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(
            SHA256.hex(String(repeating: "a", count: 56))
                == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        #expect(
            SHA256.hex(String(repeating: "a", count: 64))
                == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    @Test func generatedTokensAre256BitBase64URL() {
        let token = AccessToken.generate()
        #expect(token.count == 43)
        #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(AccessToken.generate() != token)
        #expect(AccessToken.base64URL([0xFB, 0xFF]) == "-_8")
        #expect(AccessToken.base64URL(Array("Man".utf8)) == "TWFu")
        #expect(AccessToken.hash("abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func bearerHeaderParsing() {
        #expect(AccessToken.bearer(fromAuthorization: "Bearer abc") == "abc")
        #expect(AccessToken.bearer(fromAuthorization: "bearer  abc ") == "abc")
        #expect(AccessToken.bearer(fromAuthorization: "Basic abc") == nil)
        #expect(AccessToken.bearer(fromAuthorization: "Bearer ") == nil)
    }

    static func parse(_ text: String) throws(TokensFile.Failure) -> TokensFile {
        try TokensFile(bytes: Array(text.utf8))
    }

    @Test func parsesPrincipalsWithDefaults() throws {
        let hash = AccessToken.hash("t1")
        let file = try Self.parse(
            """
            {"principals": [
              {"name": "alice", "team": "chem", "tokens": ["\(hash.uppercased().replacingOccurrences("SHA256:", "sha256:"))"],
               "maxPriority": 5, "limits": {"concurrentTasks": 20, "queuedTasks": 200, "submissionsPerMinute": 600}},
              {"name": "bob", "tokens": []}
            ]}
            """)
        let alice = try #require(file.principal(forToken: "t1"))
        #expect(alice.name == "alice" && alice.team == "chem" && alice.maxPriority == 5)
        #expect(alice.limits == PrincipalLimits(concurrentTasks: 20, queuedTasks: 200, submissionsPerMinute: 600))
        let bob = try #require(file.principals.last)
        #expect(bob.team == nil && bob.maxPriority == 0 && bob.limits == .standard)
        #expect(file.principal(forToken: "t2") == nil)
    }

    @Test(
        "refuses files that are wrong, naming what to fix",
        arguments: [
            ("[]", "principals"),
            (#"{"principals": [{"name": "a", "tokens": ["secret-token"]}]}"#, "errand token hash"),
            (#"{"principals": [{"name": "a", "tokens": [], "tem": "x"}]}"#, "unknown key \"tem\""),
            (#"{"principals": [{"name": "a", "tokens": []}, {"name": "a", "tokens": []}]}"#, "used twice"),
            (#"{"principals": [{"tokens": []}]}"#, "name"),
            (#"{"principals": [{"name": "a", "tokens": [], "limits": {"queuedTasks": -1}}]}"#, "queuedTasks"),
            (#"{"principals": [{"name": "a", "tokens": [], "maxPriority": "high"}]}"#, "maxPriority"),
            ("{", "not valid JSON"),
        ])
    func refusesBrokenFiles(text: String, mention: String) {
        #expect {
            _ = try Self.parse(text)
        } throws: { error in
            "\(error)".contains(mention)
        }
    }

    @Test func aTokenHashMayBelongToOnePrincipalOnly() {
        let hash = AccessToken.hash("shared")
        #expect(throws: TokensFile.Failure.self) {
            _ = try Self.parse(
                #"{"principals": [{"name": "a", "tokens": ["\#(hash)"]}, {"name": "b", "tokens": ["\#(hash)"]}]}"#)
        }
    }
}
