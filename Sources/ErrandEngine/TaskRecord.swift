public import ErrandProtocol

/// A task's identity: 128 bits from the system CSPRNG, as a lowercase UUID string.
public struct TaskID: Sendable, Hashable, Codable, CustomStringConvertible, RawRepresentable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// A new random version-4 UUID.
    public static func random() -> TaskID {
        var generator = SystemRandomNumberGenerator()
        // Two draws (two getrandom calls), not one per byte.
        let high = generator.next() & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000
        let low = generator.next() & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        return TaskID(uuidHigh: high, low: low)
    }

    /// The canonical lowercase text of the UUID whose 128 bits are `high` then `low`.
    init(uuidHigh high: UInt64, low: UInt64) {
        let digits: StaticString = "0123456789abcdef"
        let text = String(unsafeUninitializedCapacity: 36) { buffer in
            var position = 0
            for nibble in 0..<32 {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    buffer[position] = UInt8(ascii: "-")
                    position += 1
                }
                let word = nibble < 16 ? high : low
                let shift = UInt64(60 - (nibble % 16) * 4)
                buffer[position] = digits.utf8Start[Int((word >> shift) & 0xF)]
                position += 1
            }
            return position
        }
        self.init(text)
    }
}

/// Who a task belongs to. Without authentication the principal is `nil` and the session scopes listing.
public struct TaskOwner: Sendable, Hashable, Codable {
    /// The authenticated principal, or `nil` when the server runs without authentication.
    public var principal: String?
    /// The principal's team, for team-visible listing.
    public var team: String?
    /// The MCP session (or REST client) that created the task.
    public var session: String?

    public init(principal: String? = nil, team: String? = nil, session: String? = nil) {
        self.principal = principal
        self.team = team
        self.session = session
    }

    public static let anonymous = TaskOwner()
}

/// The lifecycle state. `queued` is internal: on the MCP 2025-11-25 wire it reads `working`.
public enum TaskStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case queued
    case working
    case inputRequired = "input_required"
    case completed
    case failed
    case cancelled

    public var isTerminal: Bool {
        switch self {
        case .completed, .failed, .cancelled: return true
        default: return false
        }
    }

    /// Whether the state machine allows moving from `self` to `next`.
    public func canTransition(to next: TaskStatus) -> Bool {
        switch (self, next) {
        case (.queued, .working), (.queued, .failed), (.queued, .cancelled): return true
        case (.working, .queued), (.inputRequired, .queued): return true  // retry after a failed or lost attempt
        case (.working, .inputRequired), (.working, .completed), (.working, .failed), (.working, .cancelled):
            return true
        case (.inputRequired, .working), (.inputRequired, .completed), (.inputRequired, .failed),
            (.inputRequired, .cancelled):
            return true
        default: return false
        }
    }
}

/// Progress a handler reported: `current` of `total` (if known), with a message.
public struct TaskProgress: Sendable, Hashable, Codable {
    public var current: Double
    public var total: Double?
    public var message: String?
    public init(current: Double, total: Double? = nil, message: String? = nil) {
        self.current = current
        self.total = total
        self.message = message
    }
}

/// How a task's work ended.
public enum TaskOutcome: Sendable, Hashable {
    /// The request's result object (for `tools/call` a `CallToolResult`, which may have `isError: true`).
    case result(JSONValue)
    /// The request ended in a JSON-RPC error, reproduced exactly by `tasks/result`.
    case error(JSONRPCError)
}

/// What kind of request a task wraps.
public enum TaskKind: String, Sendable, Hashable, Codable {
    case toolCall = "tools/call"
    case resourceRead = "resources/read"
    case promptGet = "prompts/get"
}

/// One entry of a task's history.
public struct TaskHistoryEntry: Sendable, Hashable {
    public var at: Int64
    public var status: TaskStatus
    public var message: String?
    public var attempt: Int
    public init(at: Int64, status: TaskStatus, message: String?, attempt: Int) {
        self.at = at
        self.status = status
        self.message = message
        self.attempt = attempt
    }
}

/// Everything known about one task. Times are milliseconds since the Unix epoch.
public struct TaskRecord: Sendable, Hashable {
    public var id: TaskID
    public var owner: TaskOwner
    public var kind: TaskKind
    /// Tool name, resource URI or prompt name.
    public var target: String
    public var arguments: JSONValue
    public var status: TaskStatus
    public var statusMessage: String?
    public var createdAt: Int64
    public var lastUpdatedAt: Int64
    /// Effective retention from `createdAt` in ms; `nil` means unlimited.
    public var ttlMs: Int64?
    public var pollIntervalMs: Int64
    public var progress: TaskProgress?
    public var outcome: TaskOutcome?
    /// Attempts started so far (1 for the first run).
    public var attempt: Int
    /// Scheduling priority; higher runs first. Default 0.
    public var priority: Int
    public var history: [TaskHistoryEntry]
    /// Opaque request metadata kept for the runner (e.g. the MCP `progressToken`).
    public var requestMeta: JSONValue?
    /// The task whose attempt started this one (``TaskSubmission/parent``), or `nil` for a task a client started.
    public var parent: TaskID?
    /// What the task's work logged: the newest lines, bounded (``TaskLog/Limits``).
    public var log: TaskLog
    /// The question the task waits on while `input_required` (cleared when it leaves that status).
    public var inputRequest: TaskInputRequest?

    public init(
        id: TaskID, owner: TaskOwner, kind: TaskKind, target: String, arguments: JSONValue,
        status: TaskStatus, statusMessage: String? = nil, createdAt: Int64, lastUpdatedAt: Int64,
        ttlMs: Int64?, pollIntervalMs: Int64, progress: TaskProgress? = nil, outcome: TaskOutcome? = nil,
        attempt: Int = 0, priority: Int = 0, history: [TaskHistoryEntry] = [], requestMeta: JSONValue? = nil,
        parent: TaskID? = nil, log: TaskLog = .empty
    ) {
        self.id = id
        self.owner = owner
        self.kind = kind
        self.target = target
        self.arguments = arguments
        self.status = status
        self.statusMessage = statusMessage
        self.createdAt = createdAt
        self.lastUpdatedAt = lastUpdatedAt
        self.ttlMs = ttlMs
        self.pollIntervalMs = pollIntervalMs
        self.progress = progress
        self.outcome = outcome
        self.attempt = attempt
        self.priority = priority
        self.history = history
        self.requestMeta = requestMeta
        self.parent = parent
        self.log = log
    }

    /// When the task may be purged, or `nil` for never.
    public var expiresAt: Int64? { ttlMs.map { createdAt + $0 } }
}
