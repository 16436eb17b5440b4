import ArgumentParser
import ErrandProtocol
import Foundation

/// Builds a tool's arguments object from `--args JSON` and `key=value` words.
///
/// A value is read as JSON when it is valid JSON (`count=3`, `dry=true`, `tags=["a","b"]`, `opts={"x":1}`,
/// `name="quoted"`), else as a string (`service=api`). Words override `--args` keys.
enum ToolArgumentParser {
    static let maxArgumentBytes = 1024 * 1024

    static func arguments(pairs: [String], json: String?) throws -> JSONValue {
        var members: [String: JSONValue] = [:]
        if let json {
            let text = try jsonText(json)
            guard let value = try? JSONParser.parse(text) else {
                throw ValidationError("--args must be a JSON object, e.g. '{\"seconds\": 2}'; '\(json)' is not JSON")
            }
            guard let object = value.objectValue else {
                throw ValidationError("--args must be a JSON object, not \(value.typeName)")
            }
            members = object
        }
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("'\(pair)' is not key=value (e.g. seconds=2 or service=api)")
            }
            let key = String(pair[..<equals])
            let raw = String(pair[pair.index(after: equals)...])
            members[key] = (try? JSONParser.parse(raw)) ?? .string(raw)
        }
        return .object(members)
    }

    /// `--args` text, or the contents of `@file`.
    private static func jsonText(_ argument: String) throws -> String {
        guard argument.hasPrefix("@") else { return argument }
        let path = String(argument.dropFirst())
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ValidationError("--args @\(path): cannot read that file")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maxArgumentBytes + 1)) ?? Data()
        guard data.count <= maxArgumentBytes else {
            throw ValidationError("--args @\(path): larger than \(maxArgumentBytes) bytes")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
