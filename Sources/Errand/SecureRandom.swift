/// Identifiers from the system CSPRNG.
enum SecureRandom {
    /// `byteCount` random bytes as lowercase hex (16 bytes → 32 characters, 128 bits).
    static func hex(byteCount: Int = 16) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(byteCount * 2)
        for _ in 0..<byteCount {
            let byte = UInt8.random(in: 0...255, using: &generator)
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return text
    }
}
