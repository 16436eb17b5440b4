import ErrandEngine
import ErrandProtocol
import ErrandSQLite
import Foundation
import Synchronization
import Testing

/// A fresh directory under the system temporary directory, removed when the value is released.
final class TemporaryDirectory: Sendable {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "errand-sqlite-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The stores the contract suite runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory
    case sqlite

    var testDescription: String { rawValue }

    /// An empty store; `directory` keeps the SQLite file alive for the test's duration.
    func make(in directory: TemporaryDirectory) throws -> any TaskStore {
        switch self {
        case .memory: return MemoryTaskStore()
        case .sqlite: return try SQLiteTaskStore(path: directory.file("tasks.sqlite"))
        }
    }
}

/// A task record with the fields a store filters on; everything else is plain.
func record(
    _ id: TaskID = TaskID.random(), createdAt: Int64 = 1000, status: TaskStatus = .completed,
    owner: TaskOwner = TaskOwner(session: "s"), target: String = "t", ttl: Int64? = 10_000
) -> TaskRecord {
    TaskRecord(
        id: id, owner: owner, kind: .toolCall, target: target, arguments: [:], status: status, createdAt: createdAt,
        lastUpdatedAt: createdAt, ttlMs: ttl, pollIntervalMs: 500,
        history: [TaskHistoryEntry(at: createdAt, status: status, message: nil, attempt: 0)])
}

/// A record that uses every field and every `JSONValue` case.
func richRecord() -> TaskRecord {
    TaskRecord(
        id: TaskID.random(), owner: TaskOwner(principal: "alice", team: "red", session: "sé"),
        kind: .resourceRead, target: "file:///x",
        arguments: [
            "n": .int(-3), "d": .double(3), "big": .int(.min), "nan-free": .double(-0.0),
            "a": [nil, true, false, "ü😀", [:], []], "o": ["nested": ["deeper": [1, 2.5, "x"]]],
        ],
        status: .inputRequired, statusMessage: "waiting", createdAt: -5, lastUpdatedAt: 1_772_442_900_120,
        ttlMs: nil, pollIntervalMs: 250, progress: TaskProgress(current: 0.5, total: nil, message: "half"),
        outcome: .error(JSONRPCError(code: -32602, message: "bad", data: ["x": [1.25]])), attempt: 2,
        priority: -7,
        history: [
            TaskHistoryEntry(at: 1, status: .working, message: nil, attempt: 1),
            TaskHistoryEntry(at: 2, status: .inputRequired, message: "why", attempt: 2),
        ], requestMeta: ["progressToken": "p-1"])
}

/// What `store.list(query)` must return, computed from all stored tasks with the protocol's own rules.
func expectedList(_ tasks: [TaskRecord], _ query: TaskStoreQuery) -> [TaskID] {
    let matching = tasks.filter { task in
        guard query.matches(task) else { return false }
        guard let after = query.after else { return true }
        return after.precedes(TaskListPosition(task))
    }
    let sorted = matching.sorted { TaskListPosition($0).precedes(TaskListPosition($1)) }
    return sorted.prefix(max(1, query.limit)).map(\.id)
}

/// Polls `condition` every 5 ms for up to five seconds.
func eventually(_ condition: () async throws -> Bool) async rethrows -> Bool {
    for _ in 0..<1000 {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return false
}
