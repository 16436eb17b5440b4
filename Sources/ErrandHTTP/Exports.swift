// The protocol-level types (requests, headers, responses, limits, event streams) live in ErrandHTTPCore;
// importing ErrandHTTP brings them along.
@_exported public import ErrandHTTPCore
