import CFuzzerDriver
import ErrandProtocol
import ErrandTestSupport
import Glibc

// libFuzzer target for the JSON-RPC decoding path: JSONParser.parse, JSONRPCMessage(json:) and
// JSONRPCMessage(bytes:), with JSONWriter for the round trips. scripts/fuzz-jsonrpc.sh builds it with
// `-sanitize=fuzzer,address -DFUZZING`; an ordinary build replays files instead (see `Replay` below).
//
// The MCP params readers (MCPServer.taskParameters, taskID, the tools/call checks) live on MCPServer and
// need a session and an engine, so they are not reachable here; the bad-input pytest suite covers them.
//
// Invariants checked on every input; a violation traps, which libFuzzer reports with the input:
// - parsing never crashes, and a failure names an offset inside the input;
// - what the writer produces from a parsed value parses again, and writing that gives the same bytes;
// - a tighter nesting limit either refuses the input or yields the same value;
// - the envelope reader throws only -32700 (bad JSON) or -32600 (bad envelope), and agrees with
//   parse-then-read;
// - an accepted message survives bytes → message → bytes unchanged in meaning.

/// Sorted, compact bytes: equal for values that mean the same JSON (3 and 3.0 both write "3").
private func canonical(_ value: JSONValue) -> [UInt8] { JSONWriter.bytes(value, options: .sortedKeys) }

private func depth(_ value: JSONValue) -> Int {
    switch value {
    case .array(let elements): return 1 + (elements.map(depth).max() ?? 0)
    case .object(let members): return 1 + (members.values.map(depth).max() ?? 0)
    default: return 0
    }
}

private func checkParser(_ input: UnsafeBufferPointer<UInt8>) -> JSONValue? {
    let value: JSONValue
    do {
        value = try JSONParser.parse(input)
    } catch {
        precondition(error.offset >= 0 && error.offset <= input.count, "error offset outside the input")
        precondition(!error.reason.isEmpty, "error without a reason")
        return nil
    }
    precondition(depth(value) <= JSONParser.Limits().maxDepth, "nesting limit not enforced")

    let written = canonical(value)
    let reparsed: JSONValue
    do {
        reparsed = try JSONParser.parse(written)
    } catch {
        preconditionFailure("writer output does not parse: \(error)")
    }
    precondition(canonical(reparsed) == written, "write → parse → write is not stable")

    // The String entry point must agree with the bytes entry point on valid UTF-8.
    if let text = String(validating: input, as: UTF8.self) {
        let viaString = try? JSONParser.parse(text)
        precondition(viaString.map(canonical) == written, "parse(String) differs from parse(bytes)")
    }

    let shallow = try? JSONParser.parse(input, limits: .init(maxDepth: 3))
    if let shallow { precondition(canonical(shallow) == written, "a tighter nesting limit changed the value") }
    return value
}

private func checkEnvelope(_ input: UnsafeBufferPointer<UInt8>, parsed: JSONValue?) {
    let fromBytes: Result<JSONRPCMessage, JSONRPCError>
    do {
        fromBytes = .success(try JSONRPCMessage(bytes: input))
    } catch {
        fromBytes = .failure(error)
    }
    guard let parsed else {
        guard case .failure(let error) = fromBytes, error.code == JSONRPCError.parseErrorCode else {
            preconditionFailure("unparseable JSON was not a -32700")
        }
        return
    }
    let fromJSON: Result<JSONRPCMessage, JSONRPCError>
    do {
        fromJSON = .success(try JSONRPCMessage(json: parsed))
    } catch {
        precondition(error.code == JSONRPCError.invalidRequestCode, "envelope error other than -32600")
        fromJSON = .failure(error)
    }
    switch (fromBytes, fromJSON) {
    case (.success(let a), .success(let b)):
        precondition(canonical(a.json) == canonical(b.json), "bytes and json entry points disagree")
    case (.failure(let a), .failure(let b)):
        precondition(a == b, "bytes and json entry points fail differently")
    default:
        preconditionFailure("bytes and json entry points disagree on acceptance")
    }
    guard case .success(let message) = fromJSON else { return }

    // What the server would send back for this message must read back as the same message.
    let again: JSONRPCMessage
    do {
        again = try JSONRPCMessage(bytes: message.bytes)
    } catch {
        preconditionFailure("a message's own bytes are refused: \(error)")
    }
    precondition(canonical(again.json) == canonical(message.json), "message → bytes → message changed it")
    precondition(again.method == message.method, "method lost in the round trip")
    switch message {
    case .request(let id, _, _):
        guard case .request(let id2, _, _) = again, id2 == id else { preconditionFailure("request id changed") }
    case .notification:
        guard case .notification = again else { preconditionFailure("notification became something else") }
    case .result(let id, _):
        guard case .result(let id2, _) = again, id2 == id else { preconditionFailure("result id changed") }
    case .error(let id, let error):
        guard case .error(let id2, let error2) = again, id2 == id, error2.code == error.code else {
            preconditionFailure("error response changed")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONRPC(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeBufferPointer(start: data, count: size)
    let parsed = checkParser(input)
    checkEnvelope(input, parsed: parsed)
    return 0
}

/// Built with `-DFUZZING` (and `-sanitize=fuzzer`): libFuzzer's driver, with its command line. Otherwise it replays
/// the files and directories named on the command line through the same checks (`swift run JSONRPCFuzz Fuzz/corpus/…`)
/// and says how many ran.
@main enum FuzzMain {
    static func main() throws {
        #if FUZZING
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzJSONRPC(data!, size) })
        #else
            let count = try replayFuzzInputs(CommandLine.arguments.dropFirst(), through: fuzzJSONRPC)
            print("replayed \(count) inputs")
        #endif
    }
}
