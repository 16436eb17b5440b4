import Errand
import ErrandProtocol
import Yams

/// Turns a tool file's YAML (or JSON) into checked declarations, every error carrying the file and a line.
struct CommandToolDecoder {
    let source: String
    let limits: CommandToolLimits

    static let toolKeys: [String] = [
        "name", "description", "command", "arguments", "optional", "task", "timeout", "retries", "concurrency",
        "cwd", "env", "grace", "allow", "poll_interval", "interactive",
    ]

    /// The declarations of a whole file.
    func decodeFile(_ yaml: String) throws(CommandToolFileError) -> [CommandToolDeclaration] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml, .core)
        } catch {
            throw yamlError(error)
        }
        guard let root, case .mapping(let top) = root else {
            throw fail(root, "a tool file is a mapping with one key, 'tools:', holding a list of tools")
        }
        for (key, _) in top where key.string != "tools" {
            throw fail(key, "unknown top-level key '\(key.string ?? "?")' (the file holds only 'tools:')")
        }
        guard let list = top["tools"] else { throw fail(root, "missing 'tools:' list") }
        if case .scalar = list, list.isTagged(.null) { return [] }
        guard case .sequence(let entries) = list else { throw fail(list, "'tools' must be a list") }
        var declarations: [CommandToolDeclaration] = []
        var lines: [String: Int] = [:]
        for entry in entries {
            let declaration = try decodeTool(entry)
            if let first = lines[declaration.name] {
                throw fail(entry, "duplicate tool name '\(declaration.name)' (first declared on line \(first))")
            }
            lines[declaration.name] = entry.line ?? 0
            declarations.append(declaration)
        }
        return declarations
    }

    /// One `tools:` entry.
    func decodeTool(_ entry: Node) throws(CommandToolFileError) -> CommandToolDeclaration {
        guard case .mapping(let mapping) = entry else { throw fail(entry, "each tool must be a mapping") }
        var fields: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string, Self.toolKeys.contains(name) else {
                let known = Self.toolKeys.joined(separator: ", ")
                throw fail(key, "unknown key '\(key.string ?? "?")' (known keys: \(known))")
            }
            fields[name] = value
        }
        guard let nameNode = fields["name"] else { throw fail(entry, "a tool needs a 'name'") }
        let name = try string(nameNode, "name")
        guard ToolName.isValid(name) else {
            throw fail(nameNode, "bad tool name '\(name)': use 1 to 128 characters of A-Z a-z 0-9 _ - .")
        }
        let inputSchema = try schema(fields["arguments"], optional: fields["optional"], in: entry)
        let command = try command(fields["command"], schema: inputSchema, in: entry)
        var description = "Runs \(fields["command"]?.array().first?.string ?? "a command")."
        if let node = fields["description"] { description = try string(node, "description") }
        var declaration = CommandToolDeclaration(
            name: name, description: description, command: command, inputSchema: inputSchema,
            grace: limits.defaultGrace)
        try decodeExecution(fields, into: &declaration)
        return declaration
    }

    private func decodeExecution(
        _ fields: [String: Node], into declaration: inout CommandToolDeclaration
    ) throws(CommandToolFileError) {
        if let node = fields["task"] {
            guard let support = TaskSupport(rawValue: try string(node, "task")) else {
                throw fail(node, "task must be forbidden, optional or required")
            }
            declaration.taskSupport = support
        }
        if let node = fields["timeout"] { declaration.timeout = try duration(node, "timeout") }
        if let node = fields["grace"] { declaration.grace = try duration(node, "grace") }
        if let node = fields["poll_interval"] { declaration.pollInterval = try duration(node, "poll_interval") }
        if let node = fields["retries"] { declaration.retries = try integer(node, "retries", in: 0...100) }
        if let node = fields["concurrency"] {
            declaration.concurrency = try integer(node, "concurrency", in: 1...100_000)
        }
        if let node = fields["cwd"] {
            let path = try string(node, "cwd")
            guard path.hasPrefix("/") else { throw fail(node, "cwd must be an absolute path") }
            declaration.workingDirectory = path
        }
        if let node = fields["env"] { declaration.environment = try environment(node) }
        if let node = fields["allow"] { declaration.allowed = Set(try strings(node, "allow")) }
        if let node = fields["interactive"] {
            guard !node.isQuotedScalar, node.isTagged(.bool), let flag = node.bool else {
                throw fail(node, "interactive must be true or false")
            }
            declaration.interactive = flag
        }
    }

    private func schema(_ arguments: Node?, optional: Node?, in entry: Node) throws(CommandToolFileError) -> JSONSchema
    {
        var properties: [String: JSONSchema] = [:]
        if let arguments {
            guard case .mapping(let mapping) = arguments else {
                throw fail(arguments, "arguments must map each argument name to its JSON Schema")
            }
            for (key, value) in mapping {
                let name = try string(key, "argument name")
                guard !name.isEmpty, !name.contains("{"), !name.contains("}") else {
                    throw fail(key, "bad argument name '\(name)'")
                }
                guard let json = value.jsonValue else { throw fail(value, "argument '\(name)' is not JSON") }
                do {
                    properties[name] = try JSONSchema(json: json, path: name)
                } catch {
                    throw fail(value, "argument schema \(error)")
                }
            }
        }
        var optionalNames: Set<String> = []
        if let optional {
            for name in try strings(optional, "optional") {
                guard properties[name] != nil else {
                    throw fail(optional, "optional names '\(name)', which is not among the arguments")
                }
                optionalNames.insert(name)
            }
        }
        let required = properties.keys.filter { !optionalNames.contains($0) }.sorted()
        return .object(properties, required: required)
    }

    private func command(
        _ node: Node?, schema: JSONSchema, in entry: Node
    ) throws(CommandToolFileError) -> [ArgvTemplate] {
        guard let node else { throw fail(entry, "a tool needs a 'command' (its argv list)") }
        guard case .sequence = node, !node.array().isEmpty else {
            throw fail(
                node,
                "command must be a non-empty list (argv), e.g. [\"wc\", \"-w\", \"{path}\"]; it never runs through a shell"
            )
        }
        guard case .object(let properties, _, _) = schema else { return [] }
        var templates: [ArgvTemplate] = []
        for (position, element) in node.array().enumerated() {
            guard case .scalar(let scalar) = element else { throw fail(element, "command elements must be strings") }
            let template: ArgvTemplate
            do {
                template = try ArgvTemplate(scalar.string)
            } catch {
                throw fail(element, error.reason)
            }
            if position == 0 && !template.argumentNames.isEmpty {
                throw fail(element, "the program (the first command element) cannot be an argument")
            }
            for name in template.argumentNames {
                guard let property = properties[name] else {
                    throw fail(element, "placeholder {\(name)} names no declared argument")
                }
                if case .array = property, template.wholeArgument == nil {
                    throw fail(element, "array argument {\(name)} must be a command element of its own")
                }
            }
            templates.append(template)
        }
        return templates
    }

    private func environment(_ node: Node) throws(CommandToolFileError) -> [String: String] {
        guard case .mapping(let mapping) = node else { throw fail(node, "env must map names to values") }
        var environment: [String: String] = [:]
        for (key, value) in mapping {
            let name = try string(key, "env name")
            guard !name.isEmpty, !name.contains("="), !name.contains("\0") else {
                throw fail(key, "bad environment variable name '\(name)'")
            }
            guard case .scalar(let scalar) = value else { throw fail(value, "env value of \(name) must be a scalar") }
            environment[name] = scalar.string
        }
        return environment
    }
}
