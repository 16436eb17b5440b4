public import ErrandEngine
public import ErrandProtocol
import PostgresNIO

// Input requests: the attempt runs on one node, the client that answers may be connected to another.
extension PostgresClusterStore {
    public func openInputRequest(_ record: TaskRecord, lease: TaskLease, requestID: String, request: JSONValue)
        async throws -> Bool
    {
        try Self.checkRequestID(requestID)
        let logger = self.logger
        let update = fencedWrite(record, lease: lease, change: .inputRequested(requestID: requestID), runAfterMs: nil)
        let requestText = JSONWriter.string(request)
        let taskID = record.id.rawValue
        return try await transaction { connection in
            guard try await !connection.rows(update, logger: logger).isEmpty else { return false }
            try await connection.query(
                """
                INSERT INTO errand_input_requests (task_id, request_id, request) VALUES (\(taskID), \(requestID), \(requestText))
                ON CONFLICT (task_id, request_id) DO UPDATE SET request = excluded.request, response = NULL
                """, logger: logger)
            return true
        }
    }

    public func inputRequest(taskID: TaskID, requestID: String) async throws -> JSONValue? {
        let rows = try await rows(
            """
            SELECT request FROM errand_input_requests
            WHERE task_id = \(taskID.rawValue) AND request_id = \(requestID) AND response IS NULL
            """)
        return try rows.first.map { try Self.json(try $0.decode(String.self), taskID: taskID) }
    }

    public func answerInputRequest(taskID: TaskID, requestID: String, response: JSONValue, origin: String)
        async throws -> Bool
    {
        try Self.checkRequestID(requestID)
        let payload = ClusterSignalPayload.inputAnswered(taskID: taskID, requestID: requestID, origin: origin)
        let rows = try await committedRows(
            """
            WITH answered AS (
                UPDATE errand_input_requests SET response = \(JSONWriter.string(response))
                WHERE task_id = \(taskID.rawValue) AND request_id = \(requestID) AND response IS NULL
                RETURNING task_id)
            SELECT task_id, pg_notify(\(channel), \(payload)) FROM answered
            """)
        return !rows.isEmpty
    }

    public func takeInputAnswer(taskID: TaskID, requestID: String) async throws -> JSONValue? {
        let rows = try await committedRows(
            """
            DELETE FROM errand_input_requests
            WHERE task_id = \(taskID.rawValue) AND request_id = \(requestID) AND response IS NOT NULL
            RETURNING response
            """)
        return try rows.first.map { try Self.json(try $0.decode(String.self), taskID: taskID) }
    }

    /// Request ids travel in signal payloads, which PostgreSQL limits to 8000 bytes.
    static func checkRequestID(_ requestID: String) throws(PostgresClusterStoreError) {
        guard requestID.utf8.count <= ClusterSignalPayload.maxRequestIDBytes else {
            throw .database(
                "an input request id is longer than \(ClusterSignalPayload.maxRequestIDBytes) bytes")
        }
    }

    static func json(_ text: String, taskID: TaskID) throws(PostgresClusterStoreError) -> JSONValue {
        do {
            return try JSONParser.parse(text, limits: .init(maxDepth: 512))
        } catch {
            throw .corruptRecord(id: taskID.rawValue, reason: "input request: \(error)")
        }
    }
}
