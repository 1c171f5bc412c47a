import ArgumentParser
import CommandLineSupport

@main
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train, fine-tune and prepare data for Finch GPT models.",
        subcommands: [PretrainCommand.self, FinetuneCommand.self, MergeCommand.self, BenchmarkCommand.self,
                      PrepareCommand.self, TokenizeCommand.self, DetokenizeCommand.self],
        defaultSubcommand: PretrainCommand.self
    )

    static func main() { mainReportingErrors() }
}
