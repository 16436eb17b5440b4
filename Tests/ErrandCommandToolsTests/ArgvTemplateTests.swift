import Errand
import ErrandCommandTools
import ErrandProtocol
import Testing

/// How a call's arguments become argv, checked by running `printf '%s\n'` so each argv entry is one line.
@Suite struct ArgvTemplateTests {
    static let tool = """
        tools:
          - name: argv
            command: [printf, "%s|\\n", "--name={name}", "{files}", "{count}", "{ratio}", "{flag}", "{{literal}}", "{note}"]
            arguments:
              name: {type: string}
              files: {type: array, items: {type: string}}
              count: {type: integer}
              ratio: {type: number}
              flag: {type: boolean}
              note: {type: string}
            optional: [note, files]
        """

    @Test func argumentsBecomeArgvEntries() async throws {
        let tool = try loadTool(Self.tool)
        let output = await call(
            tool, ["name": "a b", "files": ["x", "y z"], "count": 3, "ratio": 2.5, "flag": true, "note": "n"])
        #expect(!output.isError)
        #expect(output.text == "--name=a b|\nx|\ny z|\n3|\n2.5|\ntrue|\n{literal}|\nn|\n")
    }

    @Test func absentOptionalArgumentsAreLeftOut() async throws {
        let tool = try loadTool(Self.tool)
        let output = await call(tool, ["name": "", "count": -1, "ratio": 0, "flag": false])
        #expect(output.text == "--name=|\n-1|\n0|\nfalse|\n{literal}|\n")
    }

    @Test func emptyArrayExpandsToNothing() async throws {
        let tool = try loadTool(Self.tool)
        let output = await call(tool, ["name": "n", "files": [], "count": 1, "ratio": 1, "flag": true])
        #expect(output.text == "--name=n|\n1|\n1|\ntrue|\n{literal}|\n")
    }

    @Test func argumentsAreValidatedBeforeAnythingRuns() async throws {
        let directory = try temporaryDirectory()
        let tool = try commandTool(
            "[touch, \"\(directory)/ran\", \"{n}\"]", "arguments: {n: {type: integer, maximum: 5}}")
        let wrongType = await call(tool, ["n": "seven"])
        #expect(wrongType.isError)
        #expect(wrongType.text.contains("n: expected integer, got string"))
        let missing = await call(tool, [:])
        #expect(missing.text.contains("missing required argument 'n'"))
        let tooBig = await call(tool, ["n": 9])
        #expect(tooBig.text.contains("n: must be at most 5"))
        #expect(!fileExists("\(directory)/ran"))
    }

    @Test(arguments: [
        "$(touch {dir}/pwned)", "; touch {dir}/pwned", "`touch {dir}/pwned`", "x && touch {dir}/pwned",
        "| touch {dir}/pwned", "> {dir}/pwned",
    ])
    func shellLookingArgumentsArePassedLiterally(_ template: String) async throws {
        let directory = try temporaryDirectory()
        let text = template.replacing("{dir}", with: directory)
        let tool = try commandTool("[echo, \"{text}\"]", "arguments: {text: {type: string}}")
        let output = await call(tool, ["text": .string(text)])
        #expect(output.text == text + "\n")
        #expect(!fileExists("\(directory)/pwned"))
    }
}
