import Errand
import ErrandCommandTools
import ErrandEngine
import ErrandProtocol
import Testing

/// Loading tool files: both syntaxes, every key's mapping, and errors that name the line.
@Suite struct CommandToolFileTests {
    static let fullYAML = """
        tools:
          - name: count_words
            description: Count the words of a text file
            command: ["wc", "-w", "{path}"]
            arguments:
              path: {type: string, description: File to count}
              lines: {type: integer, minimum: 1}
            optional: [lines]
            task: required
            timeout: 10m
            retries: 2
            concurrency: 4
            cwd: /tmp
            env: {LANG: C.UTF-8}
            grace: 500ms
            allow: [alice, ops-team]
            poll_interval: 2s
          - name: plain
            command: [date]
        """

    @Test func yamlMapsEveryKey() throws {
        let tools = try CommandToolFile.parse(yaml: Self.fullYAML, source: "tools.yaml")
        #expect(tools.map(\.name) == ["count_words", "plain"])
        let tool = tools[0]
        #expect(tool.description == "Count the words of a text file")
        #expect(tool.taskSupport == .required)
        #expect(tool.policy.timeout == .seconds(600))
        #expect(tool.policy.maxAttempts == 3)
        #expect(tool.allowed == ["alice", "ops-team"])
        #expect(tool.pollIntervalMs == 2000)
        let schema = tool.inputSchema.json
        #expect(schema["required"] == ["path"])
        #expect(schema["properties"]?["path"] == ["type": "string", "description": "File to count"])
        #expect(schema["properties"]?["lines"] == ["type": "integer", "minimum": 1])
        #expect(tools[1].taskSupport == .optional)
        #expect(tools[1].policy == .default)
        #expect(tools[1].description == "Runs date.")
    }

    @Test func jsonLoadsToo() throws {
        let json = """
            {"tools": [{"name": "echo.json", "command": ["echo", "{text}"],
                        "arguments": {"text": {"type": "string"}}, "timeout": "30s", "retries": 1}]}
            """
        let tool = try #require(try CommandToolFile.parse(yaml: json, source: "tools.json").first)
        #expect(tool.name == "echo.json")
        #expect(tool.policy.timeout == .seconds(30))
        #expect(tool.policy.maxAttempts == 2)
        #expect(tool.inputSchema.json["required"] == ["text"])
    }

    @Test func loadReadsAFileAndIsRepeatable() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/tools.yaml"
        try Self.fullYAML.write(toFile: path)
        let first = try CommandToolFile.load(path: path)
        let second = try CommandToolFile.load(path: path)
        #expect(first.map(\.name) == second.map(\.name))
        #expect(first.count == 2)
    }

    @Test func missingFileSaysWhich() {
        #expect {
            _ = try CommandToolFile.load(path: "/nonexistent/tools.yaml")
        } throws: { error in
            "\(error)".hasPrefix("/nonexistent/tools.yaml: cannot read the file")
        }
    }

    @Test(arguments: [
        // A YAML syntax error: the unclosed flow list.
        ("tools:\n  - name: a\n    command: [echo, \"x\"\n  - name: b\n", 4, "YAML syntax"),
        ("tools:\n  - name: a\n    command: [echo]\n    comand: [oops]\n", 4, "unknown key 'comand'"),
        ("tools:\n  - name: a\n    command: [echo]\n  - name: 'bad name!'\n    command: [echo]\n", 4, "bad tool name"),
        ("tools:\n  - name: a\n    command: [echo]\n  - name: a\n    command: [echo]\n", 4, "duplicate tool name 'a'"),
        ("tools:\n  - name: a\n    command: \"wc -w x\"\n", 3, "command must be a non-empty list"),
        ("tools:\n  - name: a\n\n    command: [echo, \"{missing}\"]\n", 4, "placeholder {missing} names no declared"),
        (
            "tools:\n  - name: a\n    command: [\"{prog}\"]\n    arguments: {prog: {type: string}}\n", 3,
            "the program"
        ),
        ("tools:\n  - name: a\n    command: [echo]\n    arguments:\n      n: {type: strng}\n", 5, "type must be"),
        (
            "tools:\n  - name: a\n    command: [echo]\n    arguments:\n      n: {type: string, pattern: x}\n", 5,
            "unsupported schema keyword 'pattern'"
        ),
        ("tools:\n  - name: a\n    command: [echo]\n    timeout: 10 minutes\n", 4, "timeout must be a duration"),
        ("tools:\n  - name: a\n    command: [echo]\n    task: sometimes\n", 4, "task must be"),
        ("tools:\n  - name: a\n    command: [echo]\n    optional: [nope]\n", 4, "optional names 'nope'"),
        ("tools:\n  - name: a\n    command: [echo, \"x{\"]\n", 3, "unclosed '{'"),
        ("tools:\n  - command: [echo]\n", 2, "needs a 'name'"),
        // Yams marks the first of the duplicated keys.
        ("tools:\n  - name: a\n    command: [echo]\n    name: b\n", 2, "duplicate key 'name'"),
        ("tool:\n  - name: a\n", 1, "unknown top-level key 'tool'"),
        (
            "{\"tools\": [\n  {\"name\": \"a\",\n   \"command\": [\"echo\"],\n   \"bogus\": 1}\n]}", 4,
            "unknown key 'bogus'"
        ),
        (
            "{\"tools\": [\n  {\"name\": \"a\",\n   \"command\": [\"echo\"]\n   \"task\": \"optional\"}]}", 4,
            "YAML syntax"
        ),
        (
            "tools:\n  - name: a\n    command: [ls, \"{files}x\"]\n    arguments: {files: {type: array, items: {type: string}}}\n",
            3, "must be a command element of its own"
        ),
    ])
    func brokenFilesNameTheLine(yaml: String, line: Int, reason: String) {
        do {
            _ = try CommandToolFile.parse(yaml: yaml, source: "broken.yaml")
            Issue.record("expected an error containing \(reason)")
        } catch {
            #expect(error.file == "broken.yaml")
            #expect(error.line == line, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
            #expect(error.description.hasPrefix("broken.yaml:\(line): "))
        }
    }

    @Test func yamlScalarsFollowJSONTypes() throws {
        // YAML 1.1 would read yes/no/on/off as booleans; tool files use the JSON-like core types only.
        let tool = try loadTool(
            """
            tools:
              - name: t
                command: [echo, "{answer}"]
                arguments:
                  answer: {type: string, enum: [yes, no, on, off, "1"], default: no}
            """)
        #expect(tool.inputSchema.json["properties"]?["answer"]?["enum"] == ["yes", "no", "on", "off", "1"])
        #expect(tool.inputSchema.json["properties"]?["answer"]?["default"] == "no")
    }

    @Test func anEmptyToolsListLoadsNothing() throws {
        #expect(try CommandToolFile.parse(yaml: "tools: []\n", source: "x").isEmpty)
        #expect(try CommandToolFile.parse(yaml: "tools:\n", source: "x").isEmpty)
    }
}
