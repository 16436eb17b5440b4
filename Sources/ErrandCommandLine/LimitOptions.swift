import ArgumentParser
import Errand

/// `errand serve`'s limits for callers without a token (every MCP session, and every client address over REST,
/// when the server runs without authentication) and per task owner. Principals of a tokens file set their own.
struct LimitOptions: ParsableArguments {
    @Option(help: "Without authentication: task submissions a minute per MCP session or REST client address.")
    var anonymousSubmissionsPerMinute = PrincipalLimits.standard.submissionsPerMinute

    @Option(help: "Without authentication: tasks one MCP session or REST client runs at once (more wait).")
    var anonymousConcurrentTasks = PrincipalLimits.standard.concurrentTasks

    @Option(help: "Without authentication: tasks one MCP session or REST client may have waiting in the queue.")
    var anonymousQueuedTasks = PrincipalLimits.standard.queuedTasks

    @Option(help: "Tasks one owner (principal, or session without authentication) may have running or queued.")
    var maxActiveTasksPerOwner = 1_000

    @Option(
        help: "Tasks the whole server (with PostgreSQL: the cluster) may have running, queued or waiting for input.")
    var maxActiveTasks = TaskEngineConfiguration().maxActiveTasks

    @Option(help: "Tasks the whole server (with PostgreSQL: the cluster) may have waiting for a worker.")
    var maxQueuedTasks = TaskEngineConfiguration().maxQueuedTasks

    func validate() throws {
        for (name, value) in [
            ("--anonymous-submissions-per-minute", anonymousSubmissionsPerMinute),
            ("--anonymous-concurrent-tasks", anonymousConcurrentTasks),
            ("--anonymous-queued-tasks", anonymousQueuedTasks),
            ("--max-active-tasks-per-owner", maxActiveTasksPerOwner),
            ("--max-active-tasks", maxActiveTasks),
            ("--max-queued-tasks", maxQueuedTasks),
        ] where value < 1 || value > 10_000_000 {
            throw ValidationError("\(name) must be between 1 and 10000000")
        }
    }

    /// Applies the limits to a server's configuration.
    func apply(to configuration: inout ErrandConfiguration) {
        configuration.defaultLimits.submissionsPerMinute = anonymousSubmissionsPerMinute
        configuration.defaultLimits.concurrentTasks = anonymousConcurrentTasks
        configuration.defaultLimits.queuedTasks = anonymousQueuedTasks
        configuration.engine.maxActiveTasksPerOwner = maxActiveTasksPerOwner
        configuration.engine.maxActiveTasks = maxActiveTasks
        configuration.engine.maxQueuedTasks = maxQueuedTasks
    }
}
