public import ErrandEngine
public import ErrandProtocol

extension Tool {
    /// A tool whose handler receives its arguments decoded into `Arguments`.
    ///
    /// ```swift
    /// struct Count: Decodable, Sendable { var path: String; var minLength: Int? }
    ///
    /// let countWords = Tool(
    ///     name: "count_words", description: "Counts the words of a file.",
    ///     inputSchema: .object(["path": .string(), "minLength": .integer()], required: ["path"]),
    ///     arguments: Count.self
    /// ) { count, context in
    ///     .text("\(try words(in: count.path, minLength: count.minLength ?? 1))")
    /// }
    /// ```
    ///
    /// Arguments are checked before anything runs: against `inputSchema`, then by decoding. A value that does not
    /// decode is refused naming the field (`'files[2].name' must be a string, got integer`): a task-augmented
    /// call gets -32602 and no task is created; a plain call gets an `isError` result (SEP-1303); REST gets 422.
    ///
    /// - Parameters:
    ///   - name: The tool's name (MCP tool name rules: 1–128 of `A-Z a-z 0-9 _ - .`).
    ///   - inputSchema: The JSON Schema clients see; keep it in step with `Arguments`.
    ///   - arguments: The `Decodable` type the arguments decode into.
    ///   - taskSupport: Whether calls may (`.optional`), must or must not run as tasks; `nil` takes the
    ///     catalog's default.
    ///   - pollIntervalMs: The poll interval advertised in this tool's tasks.
    ///   - policy: Timeout and retries of each task attempt.
    ///   - handler: The work. Report progress with `context.progress`, log with `context.log`, ask with
    ///     `context.requestInput`; return promptly once the Swift task is cancelled.
    public init<Arguments: Decodable & Sendable>(
        name: String, title: String? = nil, description: String, inputSchema: JSONSchema = .object([:]),
        arguments: Arguments.Type, outputSchema: JSONValue? = nil, taskSupport: TaskSupport? = .optional,
        pollIntervalMs: Int64? = nil, policy: TaskPolicy = .default, redactedArguments: Set<String> = [],
        allowed: Set<String>? = nil,
        handler: @escaping @Sendable (Arguments, ToolContext) async throws -> ToolOutput
    ) {
        self.init(
            name: name, title: title, description: description, inputSchema: inputSchema, outputSchema: outputSchema,
            taskSupport: taskSupport, pollIntervalMs: pollIntervalMs, policy: policy,
            redactedArguments: redactedArguments, allowed: allowed
        ) { raw, context in
            try await handler(try Self.decode(Arguments.self, raw.json), context)
        }
        self.argumentCheck = { json in
            do {
                _ = try Self.decode(Arguments.self, json)
                return nil
            } catch {
                return "\(error)"
            }
        }
    }

    static func decode<Arguments: Decodable>(_ type: Arguments.Type, _ json: JSONValue) throws -> Arguments {
        do {
            return try JSONValueDecoder().decode(type, from: json)
        } catch let error as JSONValueDecodingError {
            throw ToolError("Invalid arguments: \(error)")
        }
    }

    /// Why `arguments` cannot be passed to this tool — schema violations, then a decoding failure — or `[]`.
    public func argumentProblems(_ arguments: JSONValue) -> [String] {
        let problems = inputSchema.validate(arguments)
        guard problems.isEmpty else { return problems }
        return argumentCheck?(arguments).map { [$0] } ?? []
    }
}
