// A program that imports ErrandClient also gets the types its API uses — JSONValue, JSONRPCError — without
// importing the module that defines them.
@_exported public import ErrandProtocol
