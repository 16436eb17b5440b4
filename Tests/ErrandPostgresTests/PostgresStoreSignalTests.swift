#if Postgres
    import ErrandEngine
    import ErrandPostgres
    import ErrandProtocol
    import Testing

    @Suite struct PostgresStoreSignalTests {
        @Test func signalsReachOtherNodesButNotTheOrigin() async throws {
            try await withStore { storeA, database in
                let storeB = try await database.open()
                defer { Task { await storeB.close() } }
                let nodeA = SignalRecorder(storeA.signals(node: "node-a"))
                let nodeB = SignalRecorder(storeB.signals(node: "node-b"))

                let task = makeTask()
                try await storeA.insert(task, origin: "node-a")
                #expect(await nodeB.wait { $0 == .changed(task.id, .created, status: .queued) })
                #expect(await nodeB.wait { $0 == .wake })
                // The change first, then the wake it causes: a node that handles the wake alone claims a task it has
                // already published as created.
                #expect(Array(nodeB.signals.prefix(2)) == [.changed(task.id, .created, status: .queued), .wake])

                let claimed = try #require(
                    try await storeB.claim(node: "node-b", limit: 1, nowMs: 2_000, leaseMs: 5_000).first)
                #expect(await nodeA.wait { $0 == .changed(task.id, .status, status: .working) })
                var progress = claimed.record
                progress.progress = TaskProgress(current: 1)
                // A fenced write's origin is the lease holder: node-b is not sent its own progress.
                #expect(try await storeB.write(progress, lease: claimed.lease, change: .progress, runAfterMs: nil))
                #expect(await nodeA.wait { $0 == .changed(task.id, .progress, status: .working) })

                let waiting = try #require(progress.transitioning(to: .inputRequired, message: nil, at: 2_100))
                #expect(try await storeB.openInputRequest(waiting, lease: claimed.lease, requestID: "r1", request: [:]))
                #expect(
                    await nodeA.wait {
                        $0 == .changed(task.id, .inputRequested(requestID: "r1"), status: .inputRequired)
                    })
                #expect(
                    try await storeA.answerInputRequest(
                        taskID: task.id, requestID: "r1", response: [:], origin: "node-a"))
                #expect(await nodeB.wait { $0 == .inputAnswered(task.id, requestID: "r1") })

                _ = try await storeA.cancel(task.id, message: "stop", nowMs: 2_200, origin: "node-a")
                #expect(await nodeB.wait { $0 == .changed(task.id, .status, status: .cancelled) })
                _ = try await storeA.delete([task.id], origin: "node-a")
                #expect(await nodeB.wait { $0 == .changed(task.id, .deleted, status: .cancelled) })

                // Nothing a node did itself came back to it.
                #expect(!nodeA.signals.contains(.changed(task.id, .created, status: .queued)))
                #expect(!nodeA.signals.contains(.changed(task.id, .status, status: .cancelled)))
                #expect(!nodeA.signals.contains(.inputAnswered(task.id, requestID: "r1")))
                #expect(!nodeB.signals.contains(.changed(task.id, .progress, status: .working)))
                #expect(!nodeB.signals.contains(.changed(task.id, .status, status: .working)))
            }
        }

        @Test func requeueWakesOtherNodes() async throws {
            try await withStore { store, _ in
                try await store.insert(makeTask(), origin: "a")
                let watcher = SignalRecorder(store.signals(node: "watcher"))
                let claimed = try #require(
                    try await store.claim(node: "w", limit: 1, nowMs: 2_000, leaseMs: 5_000).first)
                var retry = claimed.record
                retry.status = .queued
                #expect(try await store.write(retry, lease: claimed.lease, change: .status, runAfterMs: nil))
                #expect(await watcher.wait { $0 == .changed(retry.id, .status, status: .queued) })
                #expect(await watcher.wait { $0 == .wake })
            }
        }

        @Test func lostListenConnectionYieldsResynchronize() async throws {
            try await withStore { store, database in
                let node = SignalRecorder(store.signals(node: "n"))
                try await database.execute(
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'LISTEN%'
                    """)
                #expect(await node.wait { $0 == .resynchronize })
                // Listening again: later signals arrive.
                let task = makeTask()
                try await store.insert(task, origin: "other")
                #expect(await node.wait { $0 == .changed(task.id, .created, status: .queued) })
            }
        }

        @Test func closeEndsSignalStreams() async throws {
            let database = try await TestDatabase.make()
            let store = try await database.open()
            let stream = store.signals(node: "n")
            await store.close()
            var iterator = stream.makeAsyncIterator()
            #expect(await iterator.next() == nil)
            await #expect(throws: PostgresClusterStoreError.self) { try await store.task(TaskID.random()) }
            try await database.drop()
        }
    }
#endif
