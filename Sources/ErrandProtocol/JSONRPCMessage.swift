/// One JSON-RPC 2.0 message: a request, a notification, or a response (result or error).
public enum JSONRPCMessage: Sendable, Hashable {
    case request(id: JSONRPCID, method: String, params: JSONValue?)
    case notification(method: String, params: JSONValue?)
    case result(id: JSONRPCID, result: JSONValue)
    /// An error response; `id` is `nil` only when the request's id could not be read.
    case error(id: JSONRPCID?, error: JSONRPCError)

    /// Reads one message from a parsed JSON value.
    /// - Throws: ``JSONRPCError`` `-32600` naming what is wrong with the envelope.
    public init(json: JSONValue) throws(JSONRPCError) {
        guard case .object(let members) = json else {
            if case .array = json {
                throw .invalidRequest("JSON-RPC batches are not supported: send one message per request")
            }
            throw .invalidRequest("a JSON-RPC message must be a JSON object")
        }
        guard members["jsonrpc"] == .string("2.0") else {
            throw .invalidRequest("\"jsonrpc\" must be \"2.0\"")
        }
        let params = members["params"]
        if let params, !(params.objectValue != nil || params.arrayValue != nil) {
            throw .invalidRequest("\"params\" must be an object")
        }
        if let methodValue = members["method"] {
            guard let method = methodValue.stringValue else { throw .invalidRequest("\"method\" must be a string") }
            guard let idValue = members["id"] else {
                self = .notification(method: method, params: params)
                return
            }
            guard let id = JSONRPCID(idValue) else {
                throw .invalidRequest("\"id\" must be a string or an integer")
            }
            self = .request(id: id, method: method, params: params)
            return
        }
        guard let idValue = members["id"] else {
            throw .invalidRequest("a JSON-RPC message needs \"method\" or \"id\"")
        }
        let id = JSONRPCID(idValue)
        if let result = members["result"] {
            guard let id else { throw .invalidRequest("\"id\" must be a string or an integer") }
            self = .result(id: id, result: result)
            return
        }
        if let errorValue = members["error"] {
            guard let error = JSONRPCError(json: errorValue) else {
                throw .invalidRequest("\"error\" must have an integer \"code\" and a string \"message\"")
            }
            self = .error(id: id, error: error)
            return
        }
        throw .invalidRequest("a response needs \"result\" or \"error\"")
    }

    /// Parses and reads one message from bytes.
    /// - Throws: ``JSONRPCError`` `-32700` for bad JSON, `-32600` for a bad envelope.
    public init(bytes: some Collection<UInt8>, limits: JSONParser.Limits = .init()) throws(JSONRPCError) {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes, limits: limits)
        } catch {
            throw .parseError("Parse error: \(error.description)")
        }
        try self.init(json: json)
    }

    public var json: JSONValue {
        switch self {
        case .request(let id, let method, let params):
            var object: [String: JSONValue] = ["jsonrpc": "2.0", "id": id.json, "method": .string(method)]
            if let params { object["params"] = params }
            return .object(object)
        case .notification(let method, let params):
            var object: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(method)]
            if let params { object["params"] = params }
            return .object(object)
        case .result(let id, let result):
            return ["jsonrpc": "2.0", "id": id.json, "result": result]
        case .error(let id, let error):
            // JSON-RPC 2.0 §5: an error response always has "id"; it is null when the request's id was unreadable.
            return ["jsonrpc": "2.0", "id": id?.json ?? .null, "error": error.json]
        }
    }

    /// Compact JSON bytes of this message.
    public var bytes: [UInt8] { JSONWriter.bytes(json) }

    /// The method of a request or notification.
    public var method: String? {
        switch self {
        case .request(_, let method, _), .notification(let method, _): return method
        default: return nil
        }
    }
}
