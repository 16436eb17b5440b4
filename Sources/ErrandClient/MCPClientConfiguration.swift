public import Foundation

/// Where the client connects, how it authenticates, which protocol revision it asks for, and its bounds.
public struct MCPClientConfiguration: Sendable {
    /// The MCP endpoint, e.g. `http://127.0.0.1:8080/mcp`.
    public var url: URL
    /// Sent as `Authorization: Bearer <token>` on every request when set.
    public var bearerToken: String?
    /// Which MCP revision to speak; ``ProtocolPreference/automatic`` negotiates.
    public var protocolPreference: ProtocolPreference = .automatic
    /// The client's name and version, as the server's logs show them.
    public var clientName = "errand-client"
    public var clientVersion = "0.1.0"
    /// Whether to tell the server the client can answer input requests (elicitation). On 2025-11-25 a server
    /// only sends a task's questions to a client that declared it.
    public var declaresElicitation = true
    /// Whether task watchers listen for pushed changes where the server offers them; `false` polls only.
    public var usesPush = true
    public var limits = Limits()

    public init(url: URL, bearerToken: String? = nil) {
        self.url = url
        self.bearerToken = bearerToken
    }

    /// Which MCP revision the client speaks.
    public enum ProtocolPreference: String, Sendable, CaseIterable {
        /// Try 2026-07-28 (`server/discover`); fall back to `initialize` with 2025-11-25 when the server does
        /// not answer the probe or does not list 2026-07-28 in `supportedVersions`.
        case automatic = "auto"
        /// MCP 2025-11-25: sessions, `params.task`, `tasks/get|result|list|cancel`, `notifications/tasks/status`.
        case legacy = "2025-11-25"
        /// MCP 2026-07-28 with the tasks extension `io.modelcontextprotocol/tasks`.
        case modern = "2026-07-28"
    }

    /// Everything the client bounds, so a misbehaving server cannot make it grow or wait without end.
    public struct Limits: Sendable {
        /// The largest JSON response body read.
        public var maxResponseBytes = 16 * 1024 * 1024
        /// The largest single Server-Sent Event (all its `data` lines together).
        public var maxEventBytes = 4 * 1024 * 1024
        /// Bytes received but not yet read from one stream before the stream is dropped as too slow a reader.
        public var maxBufferedBytes = 8 * 1024 * 1024
        /// How long an ordinary request may wait for an answer (or for the next byte of an open stream). Every
        /// timeout here counts in whole seconds, at least 1 (what FoundationNetworking supports).
        public var requestTimeout: Duration = .seconds(30)
        /// How long a plain (not task) `tools/call` may go without a byte of its answer: the tool runs while the
        /// caller waits. Call long work as a task instead.
        public var callTimeout: Duration = .seconds(300)
        /// The idle limit for long-lived push streams; they are reopened when it passes without a byte.
        public var streamIdleTimeout: Duration = .seconds(300)
        /// Polling bounds: the server's `pollInterval` is clamped into this range; without one, the lower bound
        /// doubles up to 500 ms.
        public var minimumPollInterval: Duration = .milliseconds(50)
        public var maximumPollInterval: Duration = .seconds(10)
        /// How often a task is still polled while a push stream is open (push may skip states; polling is the
        /// protocol's guarantee).
        public var pollIntervalWithPush: Duration = .seconds(5)

        public init() {}
    }
}
