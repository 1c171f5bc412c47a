import ArgumentParser

@main
struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "The Online Retail shop: import purchases into its SQLite store, recommend products.",
        subcommands: [ImportCommand.self]
    )
}
