import ArgumentParser

@main
struct ErrandCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "errand",
        abstract: "An MCP server for long-running work: tasks that outlive the connection that started them.",
        version: "0.1.0",
        subcommands: [Serve.self, Worker.self, TokenCommand.self],
        defaultSubcommand: Serve.self
    )
}
