import ErrandProtocol
import Testing

@Suite struct JSONRPCMessageTests {
    func message(_ text: String) throws(JSONRPCError) -> JSONRPCMessage {
        try JSONRPCMessage(bytes: Array(text.utf8))
    }

    @Test func readsEachKindOfMessage() throws {
        #expect(
            try message(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#)
                == .request(id: .int(1), method: "tools/list", params: [:]))
        #expect(
            try message(#"{"jsonrpc":"2.0","id":"a-1","method":"ping"}"#)
                == .request(id: .string("a-1"), method: "ping", params: nil))
        #expect(
            try message(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
                == .notification(method: "notifications/initialized", params: nil))
        #expect(try message(#"{"jsonrpc":"2.0","id":5,"result":{}}"#) == .result(id: .int(5), result: [:]))
        #expect(
            try message(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}"#)
                == .error(id: nil, error: JSONRPCError(code: -32700, message: "bad")))
        #expect(
            try message(#"{"jsonrpc":"2.0","id":"x","error":{"code":-32602,"message":"m","data":{"k":1}}}"#)
                == .error(id: .string("x"), error: .invalidParams("m", data: ["k": 1])))
    }

    @Test(
        "bad JSON is -32700",
        arguments: ["", "{", #"{"jsonrpc":"2.0","id":1,"method":"x",}"#, "[1,", "\u{FEFF}{}", "{} x"])
    func parseErrors(text: String) {
        do {
            _ = try message(text)
            Issue.record("expected -32700")
        } catch {
            #expect(error.code == JSONRPCError.parseErrorCode)
        }
    }

    @Test(
        "a bad envelope is -32600",
        arguments: [
            #"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,  // batch
            "[]", "1", "\"x\"", "null",
            #"{"id":1,"method":"ping"}"#,  // no jsonrpc
            #"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, #"{"jsonrpc":2.0,"id":1,"method":"ping"}"#,
            #"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,  // null request id
            #"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, #"{"jsonrpc":"2.0","id":true,"method":"ping"}"#,
            #"{"jsonrpc":"2.0","id":{},"method":"ping"}"#, #"{"jsonrpc":"2.0","id":1,"method":7}"#,
            #"{"jsonrpc":"2.0","id":1,"method":"x","params":"s"}"#,
            #"{"jsonrpc":"2.0","id":1,"method":"x","params":3}"#,
            #"{"jsonrpc":"2.0"}"#, #"{"jsonrpc":"2.0","id":1}"#, #"{"jsonrpc":"2.0","id":null,"result":{}}"#,
            #"{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"m"}}"#,
            #"{"jsonrpc":"2.0","id":1,"error":{"code":1}}"#,
        ])
    func invalidRequests(text: String) {
        do {
            _ = try message(text)
            Issue.record("expected -32600")
        } catch {
            #expect(error.code == JSONRPCError.invalidRequestCode, "\(error.message)")
        }
    }

    @Test func batchesGetAnExplainingMessage() {
        do {
            _ = try message(#"[{"jsonrpc":"2.0","method":"x"}]"#)
        } catch {
            #expect(error.message.contains("batches are not supported"))
        }
    }

    @Test func idsKeepTheirJSONType() throws {
        #expect(JSONRPCID(.int(1))?.json == .int(1))
        #expect(JSONRPCID(.string("1"))?.json == .string("1"))
        #expect(JSONRPCID(.double(1)) == nil)
        #expect(JSONRPCID(.null) == nil)
        #expect(JSONRPCID.int(3).description == "3" && JSONRPCID.string("3").description == "\"3\"")
    }

    @Test(
        "messages round-trip through JSON",
        arguments: [
            JSONRPCMessage.request(id: .int(9), method: "tasks/get", params: ["taskId": "t"]),
            .request(id: .string("s"), method: "ping", params: nil),
            .notification(method: "notifications/tasks/status", params: ["status": "working"]),
            .result(id: .int(-1), result: ["ok": true]),
            .error(id: .string("e"), error: .methodNotFound("no such method")),
            .error(id: nil, error: .parseError("Parse error")),
        ])
    func roundTrip(original: JSONRPCMessage) throws {
        #expect(try JSONRPCMessage(bytes: original.bytes) == original)
        #expect(try JSONRPCMessage(json: original.json) == original)
    }
}

extension JSONRPCMessageTests {
    @Test func anErrorWithoutIDIsWrittenWithANullID() {
        let text = JSONWriter.string(
            JSONRPCMessage.error(id: nil, error: .parseError("x")).json, options: [.sortedKeys])
        #expect(text == #"{"error":{"code":-32700,"message":"x"},"id":null,"jsonrpc":"2.0"}"#)
    }
}
