import ArgumentParser
import CommandLineSupport

@main
struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "The Online Retail shop: import purchases into its SQLite store, embed, index, recommend, evaluate.",
        subcommands: [ImportCommand.self, EmbedCommand.self, EmbedBenchmarkCommand.self, IndexCommand.self, QueryCommand.self, EvaluateCommand.self,
                      NarrativesDataCommand.self, NarratorShortlistCommand.self, CheckGroundingCommand.self, NarrateBenchmarkCommand.self, UserCommand.self]
    )

    static func main() { mainReportingErrors() }
}
