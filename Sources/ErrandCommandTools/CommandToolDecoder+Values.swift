import Yams

/// Typed values of a tool entry, and errors carrying the file and line.
extension CommandToolDecoder {
    func string(_ node: Node, _ what: String) throws(CommandToolFileError) -> String {
        guard case .scalar(let scalar) = node else { throw fail(node, "\(what) must be a string") }
        return scalar.string
    }

    func strings(_ node: Node, _ what: String) throws(CommandToolFileError) -> [String] {
        guard case .sequence(let sequence) = node else { throw fail(node, "\(what) must be a list of strings") }
        var out: [String] = []
        for item in sequence { out.append(try string(item, "each entry of \(what)")) }
        return out
    }

    func integer(_ node: Node, _ what: String, in range: ClosedRange<Int>) throws(CommandToolFileError) -> Int {
        guard !node.isQuotedScalar, let value = node.int, range.contains(value) else {
            throw fail(node, "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func duration(_ node: Node, _ what: String) throws(CommandToolFileError) -> Duration {
        guard let text = node.string, let value = DurationText.parse(text), value > .zero else {
            throw fail(node, "\(what) must be a duration like 500ms, 30s, 10m or 2h")
        }
        return value
    }

    func fail(_ node: Node?, _ reason: String) -> CommandToolFileError {
        CommandToolFileError(file: source, line: node?.line, reason: reason)
    }

    func yamlError(_ error: any Error) -> CommandToolFileError {
        guard let yamlError = error as? YamlError else {
            return CommandToolFileError(file: source, line: nil, reason: "\(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let reason = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return CommandToolFileError(file: source, line: mark.line, reason: "YAML syntax: \(reason)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return CommandToolFileError(
                file: source, line: context.mark.line,
                reason: "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", "))")
        default:
            return CommandToolFileError(file: source, line: nil, reason: "YAML: \(yamlError)")
        }
    }
}
