public import Errand

/// The tools the FastMCP reference server exposes, with the same names, arguments, texts and task modes,
/// so the two servers can be compared call for call.
public enum SeedTools {
    public static let all: [Tool] = [sleep, slowComputation, mustBeBackground, syncOnly, fail, echo]

    /// Longest real sleep: 100 years. The schema has no maximum (like the reference server), so any finite
    /// JSON number up to 1.8e308 arrives here; longer requests sleep this long, which is for ever in practice,
    /// instead of trapping in the conversion to integer milliseconds.
    static let maxSleepSeconds = 100 * 365 * 86_400.0

    /// How long `sleep(seconds)` sleeps: `seconds` (not negative: the schema says so), at most ``maxSleepSeconds``.
    package static func sleepDuration(seconds: Double) -> Duration {
        .milliseconds(Int64((min(seconds, maxSleepSeconds) * 1000).rounded()))
    }

    /// `sleep(seconds)` → "slept <seconds>" (3 → "slept 3", 0.5 → "slept 0.5").
    public static let sleep = Tool(
        name: "sleep", description: "Sleep for `seconds` seconds, then return \"slept <seconds>\".",
        inputSchema: .object(["seconds": .number(description: "How long to sleep", minimum: 0)], required: ["seconds"]),
        taskSupport: .optional
    ) { arguments, _ in
        let seconds = try arguments.double("seconds")
        try await Task.sleep(for: sleepDuration(seconds: seconds))
        return .text("slept \(formatSeconds(seconds))")
    }

    /// `slow_computation(duration)`: one-second steps reporting "step i/n", then "computed n steps".
    public static let slowComputation = Tool(
        name: "slow_computation", description: "Run `duration` one-second steps, reporting progress per step.",
        inputSchema: .object(
            ["duration": .integer(description: "Number of one-second steps", minimum: 0, maximum: 86_400)],
            required: ["duration"]),
        taskSupport: .optional
    ) { arguments, context in
        let duration = try arguments.int("duration")
        let total = Double(max(duration, 1))
        for step in stride(from: 1, through: duration, by: 1) {
            await context.progress(Double(step - 1), total: total, message: "step \(step)/\(duration)")
            try await Task.sleep(for: .seconds(1))
        }
        await context.progress(total, total: total, message: "computed \(duration) steps")
        return .text("computed \(duration) steps")
    }

    /// Only runs as a background task; "background done" after about a second.
    public static let mustBeBackground = Tool(
        name: "must_be_background", description: "Only runs as a background task.", taskSupport: .required
    ) { _, _ in
        try await Task.sleep(for: .seconds(1))
        return .text("background done")
    }

    /// Never runs as a task.
    public static let syncOnly = Tool(
        name: "sync_only", description: "Never runs as a task.", taskSupport: .forbidden
    ) { _, _ in .text("sync done") }

    /// Always fails with `message` (as a task: status `failed`).
    public static let fail = Tool(
        name: "fail", description: "Always raises an error carrying `message`.",
        inputSchema: .object(["message": .string(description: "The error text")], required: ["message"]),
        taskSupport: .optional
    ) { arguments, _ in
        let message = try arguments.string("message")
        try await Task.sleep(for: .milliseconds(100))
        throw ToolError(message)
    }

    /// A plain tool: returns its text. Declares no `execution`, like FastMCP's plain tools.
    public static let echo = Tool(
        name: "echo", description: "Plain tool without task support.",
        inputSchema: .object(["text": .string(description: "Text to return")], required: ["text"]),
        taskSupport: .forbidden, declaresExecution: false
    ) { arguments, _ in .text(try arguments.string("text")) }

    /// Seconds as Python prints `float(seconds)` with a trailing ".0" removed: 3 → "3", 0.5 → "0.5".
    static func formatSeconds(_ seconds: Double) -> String {
        let text = "\(seconds)"
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}
