import ArgumentParser

@main
struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "Product recommendations for the Online Retail shop: embeddings, index, queries, evaluation.",
        subcommands: [EmbedCommand.self, EmbedBenchmarkCommand.self, IndexCommand.self, QueryCommand.self, EvaluateCommand.self]
    )
}
