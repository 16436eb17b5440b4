public import Errand

/// A slow resource and a slow prompt, readable and renderable as tasks (as FastMCP allows).
public enum DemoResources {
    public static let weeklyReport = Resource(
        uri: "errand://reports/weekly", name: "weekly_report", title: "Weekly report",
        description: "A report that takes about a second to build.", mimeType: "text/plain", taskSupport: .optional
    ) { context in
        await context.progress(0, total: 1, message: "building report")
        try await Task.sleep(for: .seconds(1))
        return ResourceContents(text: "Weekly report: all systems nominal.", mimeType: "text/plain")
    }

    public static let researchBrief = Prompt(
        name: "research_brief", title: "Research brief",
        description: "A research brief for a topic; takes about half a second to assemble.",
        arguments: [.init(name: "topic", description: "What the brief is about", required: true)],
        taskSupport: .optional
    ) { arguments, _ in
        try await Task.sleep(for: .milliseconds(500))
        let topic = arguments["topic"] ?? "the topic"
        return PromptMessages(
            description: "Research brief on \(topic)",
            messages: [(role: "user", text: "Write a one-page research brief on \(topic), citing sources.")])
    }
}
