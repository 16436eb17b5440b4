#if Postgres
    import ErrandEngine
    import ErrandPostgres
    import ErrandProtocol
    import Testing

    @Suite struct PostgresStoreInputTests {
        @Test func inputRequestIsOpenedAnsweredAndTakenOnce() async throws {
            try await withStore { store, _ in
                try await store.insert(makeTask(), origin: "n")
                let claimed = try #require(
                    try await store.claim(node: "w", limit: 1, nowMs: 2_000, leaseMs: 1_000).first)
                let waiting = try #require(
                    claimed.record.transitioning(to: .inputRequired, message: "name?", at: 2_100))
                let request: JSONValue = ["message": "name?", "requestedSchema": ["type": "object"]]
                let wrongLease = TaskLease(taskID: claimed.lease.taskID, fence: claimed.lease.fence + 1000)
                #expect(
                    try await !store.openInputRequest(waiting, lease: wrongLease, requestID: "r1", request: request))
                #expect(try await store.inputRequest(taskID: waiting.id, requestID: "r1") == nil)

                #expect(
                    try await store.openInputRequest(waiting, lease: claimed.lease, requestID: "r1", request: request))
                #expect(try await store.task(waiting.id)?.status == .inputRequired)
                #expect(try await store.inputRequest(taskID: waiting.id, requestID: "r1") == request)
                #expect(try await store.takeInputAnswer(taskID: waiting.id, requestID: "r1") == nil)

                let answer: JSONValue = ["action": "accept", "content": ["name": "Ada"]]
                #expect(
                    try await store.answerInputRequest(
                        taskID: waiting.id, requestID: "r1", response: answer, origin: "a"))
                #expect(
                    try await !store.answerInputRequest(
                        taskID: waiting.id, requestID: "r1", response: answer, origin: "a"))
                #expect(
                    try await !store.answerInputRequest(
                        taskID: waiting.id, requestID: "nope", response: answer, origin: "a"))
                #expect(try await store.inputRequest(taskID: waiting.id, requestID: "r1") == nil)
                #expect(try await store.takeInputAnswer(taskID: waiting.id, requestID: "r1") == answer)
                #expect(try await store.takeInputAnswer(taskID: waiting.id, requestID: "r1") == nil)
            }
        }

        @Test func openRequestsGoWhenTheAttemptEnds() async throws {
            try await withStore { store, _ in
                try await store.insert(makeTask(), origin: "n")
                let claimed = try #require(
                    try await store.claim(node: "w", limit: 1, nowMs: 2_000, leaseMs: 1_000).first)
                let waiting = try #require(claimed.record.transitioning(to: .inputRequired, message: nil, at: 2_100))
                #expect(try await store.openInputRequest(waiting, lease: claimed.lease, requestID: "r1", request: [:]))
                let failed = try #require(waiting.transitioning(to: .failed, message: "gave up", at: 2_200))
                #expect(try await store.write(failed, lease: claimed.lease, change: .status, runAfterMs: nil))
                #expect(try await store.inputRequest(taskID: waiting.id, requestID: "r1") == nil)
                #expect(
                    try await !store.answerInputRequest(taskID: waiting.id, requestID: "r1", response: [:], origin: "a")
                )
            }
        }

        @Test func cancelDropsOpenRequests() async throws {
            try await withStore { store, _ in
                try await store.insert(makeTask(), origin: "n")
                let claimed = try #require(
                    try await store.claim(node: "w", limit: 1, nowMs: 2_000, leaseMs: 1_000).first)
                let waiting = try #require(claimed.record.transitioning(to: .inputRequired, message: nil, at: 2_100))
                #expect(try await store.openInputRequest(waiting, lease: claimed.lease, requestID: "r1", request: [:]))
                _ = try await store.cancel(waiting.id, message: "stop", nowMs: 2_200, origin: "a")
                #expect(try await store.inputRequest(taskID: waiting.id, requestID: "r1") == nil)
            }
        }

        @Test func overlongRequestIDIsRefused() async throws {
            try await withStore { store, _ in
                try await store.insert(makeTask(), origin: "n")
                let claimed = try #require(
                    try await store.claim(node: "w", limit: 1, nowMs: 2_000, leaseMs: 1_000).first)
                let waiting = try #require(claimed.record.transitioning(to: .inputRequired, message: nil, at: 2_100))
                let longID = String(repeating: "x", count: 5_000)
                await #expect(throws: PostgresClusterStoreError.self) {
                    try await store.openInputRequest(waiting, lease: claimed.lease, requestID: longID, request: [:])
                }
                #expect(try await store.task(waiting.id)?.status == .working)
            }
        }
    }
#endif
