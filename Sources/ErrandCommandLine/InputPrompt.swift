import ErrandClient
import ErrandProtocol
import Foundation

/// Asks a task's question on the terminal, field by field of its `requestedSchema`, and builds the
/// elicitation answer: `accept` with the content, or `decline` when the person enters nothing at the first
/// prompt or ends the input.
enum InputPrompt {
    static func ask(_ request: InputRequest) async -> JSONValue {
        Terminal.err("\(request.message)")
        let properties = request.requestedSchema?["properties"]?.objectValue ?? [:]
        guard !properties.isEmpty else {
            Terminal.write(STDERR_FILENO, "Accept? [y/N] ")
            let answer = await Terminal.readLine()
            return ["action": yes(answer) == true ? "accept" : "decline"]
        }
        var content: [String: JSONValue] = [:]
        for (name, schema) in properties.sorted(by: { $0.key < $1.key }) {
            while true {
                let type = schema["type"]?.stringValue ?? "string"
                let title = schema["title"]?.stringValue ?? name
                let choices = schema["enum"]?.arrayValue?.compactMap(\.stringValue)
                let hint = choices.map { $0.joined(separator: "/") } ?? (type == "boolean" ? "y/n" : type)
                Terminal.write(STDERR_FILENO, "\(title) [\(hint)] (empty to decline): ")
                guard let line = await Terminal.readLine(), !line.isEmpty else { return ["action": "decline"] }
                if let value = value(line, type: type, choices: choices) {
                    content[name] = value
                    break
                }
                Terminal.err("not a valid \(hint); try again")
            }
        }
        return ["action": "accept", "content": .object(content)]
    }

    static func value(_ line: String, type: String, choices: [String]?) -> JSONValue? {
        if let choices { return choices.contains(line) ? .string(line) : nil }
        switch type {
        case "boolean": return yes(line).map { .bool($0) }
        case "integer": return Int64(line).map { .int($0) }
        case "number": return Double(line).map { .double($0) }
        default: return .string(line)
        }
    }

    static func yes(_ line: String?) -> Bool? {
        switch line?.lowercased() {
        case "y", "yes", "true", "1": return true
        case "n", "no", "false", "0": return false
        default: return nil
        }
    }
}
