import CFuzzerDriver
import ErrandHTTPCore
import ErrandTestSupport
import Glibc

// libFuzzer target for HTTPRequestParser (ErrandHTTPCore). scripts/fuzz-http.sh builds it with
// `-sanitize=fuzzer,address -DFUZZING`; an ordinary build replays files instead (see `Replay` below).
//
// Each input is parsed twice, whole and split into pieces at positions derived from the input, and the
// two event sequences must be identical: the parser's result must not depend on how reads are split.
// Invariants are checked on the way (linear scanning, limits respected); any violation traps, which
// libFuzzer reports as a crash with the input that caused it.

/// Limits small enough that the fuzzer reaches every one of them.
private let limits: HTTPRequestParser.Limits = {
    var configuration = HTTPServerConfiguration()
    configuration.maxRequestLineLength = 128
    configuration.maxHeaderFieldLength = 96
    configuration.maxHeaderCount = 8
    configuration.maxHeaderBytes = 512
    configuration.maxBodyBytes = 256
    var limits = HTTPRequestParser.Limits(configuration)
    limits.maxChunkLineLength = 64
    return limits
}()

private enum Outcome: Equatable {
    case request(method: String, target: String, version: String, headers: [String], body: [UInt8], keepAlive: Bool)
    case expectContinue
    case preface
    case error(Int, String)
}

private func run(_ input: UnsafeRawBufferPointer, pieces: [Int]) -> [Outcome] {
    var parser = HTTPRequestParser(limits: limits)
    var outcomes: [Outcome] = []
    var offset = 0
    var pieceIndex = 0
    var done = false
    while offset < input.count, !done {
        let length = pieces.isEmpty ? input.count : max(1, pieces[pieceIndex % pieces.count])
        pieceIndex += 1
        let end = min(input.count, offset + length)
        parser.append(UnsafeRawBufferPointer(rebasing: input[offset..<end]))
        offset = end
        events: while true {
            switch parser.next() {
            case .needMoreData:
                break events
            case .expectContinue:
                outcomes.append(.expectContinue)
            case .request(let head, let body):
                precondition(body.count <= limits.maxBodyBytes, "body over the limit")
                precondition(head.headers.count <= limits.maxHeaderCount, "too many headers")
                precondition(head.version == "HTTP/1.1" || head.version == "HTTP/1.0", "bad version")
                outcomes.append(
                    .request(
                        method: head.method, target: head.target, version: head.version,
                        headers: head.headers.fields.map { "\($0.name)=\($0.value)" }, body: body,
                        keepAlive: head.keepAlive))
            case .http2Preface:
                outcomes.append(.preface)
                done = true
                break events
            case .error(let error):
                precondition([400, 408, 413, 414, 417, 431, 501, 505].contains(error.status), "unexpected status")
                outcomes.append(.error(error.status, error.reason))
                done = true
                break events
            }
        }
    }
    precondition(parser.bytesScanned <= parser.bytesAppended, "the line search rescanned bytes")
    return outcomes
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequestParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let whole = run(input, pieces: [])
    // Piece lengths from the first bytes, so the fuzzer also explores how reads are split.
    let pieces = input.prefix(4).map { Int($0 % 17) + 1 }
    let split = run(input, pieces: pieces)
    precondition(whole == split, "result depends on how the input was split")
    if size <= 512 {
        precondition(run(input, pieces: [1]) == whole, "byte-at-a-time result differs")
    }
    return 0
}

/// Built with `-DFUZZING` (and `-sanitize=fuzzer`): libFuzzer's driver, with its command line. Otherwise it replays
/// the files and directories named on the command line through the same checks (`swift run HTTPParserFuzz Fuzz/corpus/…`)
/// and says how many ran.
@main enum FuzzMain {
    static func main() throws {
        #if FUZZING
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzHTTPRequestParser(data!, size) })
        #else
            let count = try replayFuzzInputs(CommandLine.arguments.dropFirst(), through: fuzzHTTPRequestParser)
            print("replayed \(count) inputs")
        #endif
    }
}
