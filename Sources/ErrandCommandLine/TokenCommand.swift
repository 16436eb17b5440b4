import ArgumentParser
import Errand

/// `errand token`: make bearer tokens and the hashes the tokens file holds.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Make bearer tokens and their hashes for --auth-file.",
        subcommands: [New.self, Hash.self])

    /// `errand token new --principal NAME`.
    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a fresh random token (256 bits, base64url) and the hash to put in the tokens file.",
            discussion: """
                The token is printed once and stored nowhere: give it to its holder. The tokens file gets only its \
                hash, in the "tokens" array of the principal.
                """)

        @Option(help: "The principal the token is for (its name in the tokens file).")
        var principal: String

        func validate() throws {
            guard !principal.isEmpty else { throw ValidationError("--principal must not be empty") }
        }

        func run() throws {
            let token = AccessToken.generate()
            let hash = AccessToken.hash(token)
            let name = JSONQuoted.string(principal)
            StandardOutput.writeLine("token: \(token)")
            StandardOutput.writeLine("hash: \(hash)")
            StandardOutput.writeLine(#"entry: {"name": \#(name), "tokens": ["\#(hash)"]}"#)
        }
    }

    /// `errand token hash`.
    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a token from standard input and print its hash (sha256:<hex>).")

        func run() throws {
            guard let line = readLine(strippingNewline: true) else {
                throw ValidationError("no token on standard input (e.g. printf %s \"$TOKEN\" | errand token hash)")
            }
            let token = line.trimmingCharacters(" \t\r")
            guard !token.isEmpty else { throw ValidationError("the token on standard input is empty") }
            StandardOutput.writeLine(AccessToken.hash(token))
        }
    }
}

/// A JSON string literal for a name (quotes and backslashes escaped; control characters as \u escapes).
enum JSONQuoted {
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    func trimmingCharacters(_ characters: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
