import ErrandProtocol

/// One argv element of a command tool, with `{name}` placeholders for arguments (`{{` and `}}` are braces).
///
/// Rendering never goes through a shell: each element becomes exactly one argv entry (or none, or one per array
/// item), whatever characters the argument holds.
struct ArgvTemplate: Sendable, Hashable {
    enum Segment: Sendable, Hashable {
        case literal(String)
        case argument(String)
    }

    /// A malformed template, said in words.
    struct SyntaxError: Error {
        var reason: String
    }

    let segments: [Segment]

    /// Parses one element.
    /// - Throws: ``SyntaxError`` for an unclosed `{`, a lone `}`, or an empty `{}`.
    init(_ text: String) throws(SyntaxError) {
        var segments: [Segment] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "{" || character == "}", next < text.endIndex, text[next] == character {
                literal.append(character)
                index = text.index(after: next)
            } else if character == "{" {
                guard let close = text[next...].firstIndex(of: "}") else {
                    throw SyntaxError(reason: "unclosed '{' in \"\(text)\" (write {{ for a brace)")
                }
                let name = String(text[next..<close])
                guard !name.isEmpty, !name.contains("{") else {
                    throw SyntaxError(reason: "bad placeholder in \"\(text)\" (write {{ and }} for braces)")
                }
                if !literal.isEmpty { segments.append(.literal(literal)) }
                literal = ""
                segments.append(.argument(name))
                index = text.index(after: close)
            } else if character == "}" {
                throw SyntaxError(reason: "lone '}' in \"\(text)\" (write }} for a brace)")
            } else {
                literal.append(character)
                index = next
            }
        }
        if !literal.isEmpty || segments.isEmpty { segments.append(.literal(literal)) }
        self.segments = segments
    }

    /// The argument names this element uses.
    var argumentNames: [String] {
        segments.compactMap { if case .argument(let name) = $0 { name } else { nil } }
    }

    /// The name when the element is exactly one placeholder (`{files}`), which lets an array expand.
    var wholeArgument: String? {
        if segments.count == 1, case .argument(let name) = segments[0] { return name }
        return nil
    }

    /// The argv entries this element becomes for `arguments`.
    ///
    /// An element naming an absent argument is left out; an element that is exactly `{name}` with an array value
    /// becomes one entry per item; other values are rendered by ``text(of:)``.
    func render(_ arguments: [String: JSONValue]) -> [String] {
        if let name = wholeArgument, case .array(let items)? = arguments[name] {
            return items.map(Self.text(of:))
        }
        var out = ""
        for segment in segments {
            switch segment {
            case .literal(let text): out += text
            case .argument(let name):
                guard let value = arguments[name], !value.isNull else { return [] }
                out += Self.text(of: value)
            }
        }
        return [out]
    }

    /// A value as argv text: strings as they are, everything else as compact JSON (`3`, `2.5`, `true`).
    static func text(of value: JSONValue) -> String {
        value.stringValue ?? JSONWriter.string(value, options: .sortedKeys)
    }
}
