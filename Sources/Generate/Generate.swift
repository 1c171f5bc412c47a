import ArgumentParser
import CommandLineSupport

@main
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Sample text from a Finch or Hugging Face GPT-2 checkpoint, benchmark it, quantize it.",
        subcommands: [SampleCommand.self, BenchmarkCommand.self, QuantizeCommand.self, BatchBenchmarkCommand.self],
        defaultSubcommand: SampleCommand.self
    )

    static func main() { mainReportingErrors() }
}
