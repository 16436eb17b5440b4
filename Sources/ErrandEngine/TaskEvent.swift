public import ErrandProtocol

/// One change the engine published. `sequence` increases by one per event, engine-wide.
public struct TaskEvent: Sendable, Hashable {
    public enum Change: Sendable, Hashable {
        case created
        case status
        case progress
        /// The task needs input; `requestID` names the request for ``TaskEngine/provideInput(taskID:requestID:response:)``.
        case inputRequested(requestID: String, request: JSONValue)
        /// The task's work logged these lines (in order; published at once, stored with the next write).
        case log([TaskLogLine])
        case deleted
    }
    public var sequence: UInt64
    public var change: Change
    /// The task as it is after the change.
    public var task: TaskRecord
    public init(sequence: UInt64, change: Change, task: TaskRecord) {
        self.sequence = sequence
        self.change = change
        self.task = task
    }
}
