// A program that imports Errand to declare tools also gets the types those tools use — JSONValue, TaskID,
// TaskPolicy, TaskLogLevel — without importing the layers that define them.
@_exported public import ErrandEngine
@_exported public import ErrandProtocol
