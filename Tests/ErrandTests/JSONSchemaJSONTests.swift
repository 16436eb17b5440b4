import Errand
import ErrandProtocol
import Testing

/// Reading a ``JSONSchema`` from its JSON form.
@Suite struct JSONSchemaJSONTests {
    @Test(
        arguments: [
            ["type": "string", "description": "d", "enum": ["a", "b"], "default": "a"],
            ["type": "number", "minimum": 0.5, "maximum": 2.0, "default": 1.0],
            ["type": "integer", "minimum": 1, "maximum": 9],
            ["type": "boolean", "default": true],
            ["type": "array", "items": ["type": "string"], "maxItems": 3],
            ["type": "object", "properties": ["x": ["type": "integer"]], "required": ["x"]],
        ] as [JSONValue])
    func roundTrips(_ json: JSONValue) throws {
        #expect(try JSONSchema(json: json).json == json)
    }

    @Test func theReadSchemaValidates() throws {
        let schema = try JSONSchema(
            json: ["type": "object", "properties": ["n": ["type": "integer", "maximum": 5]], "required": ["n"]])
        #expect(schema.validate(["n": 3]).isEmpty)
        #expect(schema.validate(["n": 7]) == ["n: must be at most 5"])
        #expect(schema.validate([:]) == ["missing required argument 'n'"])
    }

    @Test(
        arguments: [
            (["type": "string", "pattern": "x"], "unsupported schema keyword 'pattern'"),
            (["type": "strng"], "type must be one of"),
            (["description": "no type"], "type must be one of"),
            (["type": "integer", "enum": [1]], "'enum' does not apply to type integer"),
            (["type": "array"], "an array schema needs 'items'"),
            (["type": "object", "properties": [:], "required": ["x"]], "required names 'x'"),
            (["type": "number", "minimum": "0"], "minimum must be a number"),
        ] as [(JSONValue, String)])
    func unsupportedSchemasAreRefused(_ json: JSONValue, _ reason: String) {
        #expect {
            _ = try JSONSchema(json: json, path: "arg")
        } throws: { error in
            "\(error)".hasPrefix("arg: ") && "\(error)".contains(reason)
        }
    }
}
