@testable import ErrandHTTP

/// What a parser produced, in a comparable form.
enum ParseOutcome: Equatable, CustomStringConvertible {
    case request(method: String, target: String, version: String, body: String, keepAlive: Bool)
    case expectContinue
    case http2Preface
    case error(Int)

    var description: String {
        switch self {
        case .request(let method, let target, let version, let body, let keepAlive):
            "\(method) \(target) \(version) body=\(body.debugDescription) keepAlive=\(keepAlive)"
        case .expectContinue: "100-continue"
        case .http2Preface: "h2 preface"
        case .error(let status): "error \(status)"
        }
    }
}

/// Small limits that make every limit easy to hit in a test.
func testLimits() -> HTTPRequestParser.Limits {
    var configuration = HTTPServerConfiguration()
    configuration.maxRequestLineLength = 64
    configuration.maxHeaderFieldLength = 64
    configuration.maxHeaderCount = 4
    configuration.maxHeaderBytes = 256
    configuration.maxBodyBytes = 32
    return HTTPRequestParser.Limits(configuration)
}

/// Drains every event the parser has ready.
func drain(_ parser: inout HTTPRequestParser, into outcomes: inout [ParseOutcome]) {
    while true {
        switch parser.next() {
        case .needMoreData:
            return
        case .expectContinue:
            outcomes.append(.expectContinue)
        case .request(let head, let body):
            outcomes.append(
                .request(
                    method: head.method, target: head.target, version: head.version,
                    body: String(decoding: body, as: UTF8.self), keepAlive: head.keepAlive))
        case .http2Preface:
            outcomes.append(.http2Preface)
            return
        case .error(let error):
            outcomes.append(.error(error.status))
            return
        }
    }
}

/// Parses `input` fed all at once, or one byte at a time.
func parse(
    _ input: [UInt8], limits: HTTPRequestParser.Limits = testLimits(), byteAtATime: Bool = false
) -> [ParseOutcome] {
    var parser = HTTPRequestParser(limits: limits)
    var outcomes: [ParseOutcome] = []
    if byteAtATime {
        for byte in input {
            parser.append([byte])
            drain(&parser, into: &outcomes)
        }
    } else {
        parser.append(input)
        drain(&parser, into: &outcomes)
    }
    return outcomes
}

func parse(_ text: String, limits: HTTPRequestParser.Limits = testLimits(), byteAtATime: Bool = false)
    -> [ParseOutcome]
{
    parse(Array(text.utf8), limits: limits, byteAtATime: byteAtATime)
}

func get(_ target: String = "/", version: String = "HTTP/1.1", body: String = "", keepAlive: Bool = true)
    -> ParseOutcome
{
    .request(method: "GET", target: target, version: version, body: body, keepAlive: keepAlive)
}

func post(_ body: String, target: String = "/") -> ParseOutcome {
    .request(method: "POST", target: target, version: "HTTP/1.1", body: body, keepAlive: true)
}
