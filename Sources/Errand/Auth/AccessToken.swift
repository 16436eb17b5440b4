/// Bearer tokens: how they are made, hashed for the tokens file, and read from a request.
///
/// The server never stores a token, only `sha256:<hex>` of its UTF-8 bytes.
public enum AccessToken {
    /// A fresh token: 32 bytes (256 bits) from the system CSPRNG, base64url without padding (43 characters).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return base64URL(bytes)
    }

    /// The line the tokens file holds for `token`: `sha256:` and 64 lowercase hex digits.
    public static func hash(_ token: String) -> String { "sha256:" + SHA256.hex(token) }

    /// The token of an `Authorization: Bearer <token>` header value; `nil` for another scheme or an empty token.
    static func bearer(fromAuthorization value: String) -> String? {
        let trimmed = value.drop { $0 == " " || $0 == "\t" }
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
        let token = trimmed.dropFirst(7).trimmingWhitespace()
        return token.isEmpty ? nil : String(token)
    }

    /// RFC 4648 §5 base64url, no padding.
    static func base64URL(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var text = ""
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var value = 0
            for (offset, byte) in chunk.enumerated() { value |= Int(byte) << (16 - 8 * offset) }
            for position in 0...chunk.count { text.append(alphabet[(value >> (18 - 6 * position)) & 0x3F]) }
            index += 3
        }
        return text
    }
}
