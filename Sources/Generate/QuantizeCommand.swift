import ArgumentParser
import CommandLineSupport
import Foundation
import GPT
import Tensor

/// `generate quantize`: writes an int8 or 4-bit copy of a float checkpoint.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write an int8 or 4-bit checkpoint (codes + scales in safetensors, loaded by memory map) from a float one.")

    @Option(help: "Float checkpoint directory (Hugging Face GPT-2 layout).")
    var checkpoint: String

    @Option(help: "Output directory for the quantized checkpoint.")
    var out: String

    @OptionGroup(title: "Quantization (default --bits 8)")
    var quantization: QuantizationFlags

    @Flag(help: "Replace a checkpoint already in --out.")
    var overwrite = false

    @OptionGroup var threadOptions: ThreadOptions

    mutating func run() throws {
        try runReportingErrors {
            try threadOptions.configure()
            guard let quantization = try quantization.quantization(defaultBits: 8) else { return }
            let source = URL(fileURLWithPath: checkpoint).standardizedFileURL.path
            let destination = URL(fileURLWithPath: out).standardizedFileURL.path
            guard source != destination else { throw ValidationError("--out must differ from --checkpoint") }
            if try QuantizedCheckpoint.formats(directory: checkpoint) != nil {
                throw ValidationError("--checkpoint \(checkpoint) is already a quantized checkpoint")
            }
            try RunDirectory.check(out: out, intent: .create(overwrite: overwrite), inputs: [("--checkpoint", checkpoint)])
            let model = try Checkpoint.load(directory: checkpoint)
            // The output shortlist (if any) goes along, checked before anything is written.
            let shortlist = try OutputShortlist.load(directory: checkpoint, vocabSize: model.config.vocabSize)
            let weights = try InferenceCheckpoint.quantizeChecked(model, quantization, directory: checkpoint)
            try QuantizedCheckpoint.save(model: model, weights: weights, directory: out)
            try shortlist?.save(directory: out)

            let inputBytes = try InferenceCheckpoint.weightsFileBytes(directory: checkpoint)
            let outputBytes = try InferenceCheckpoint.weightsFileBytes(directory: out)
            let embedding = weights.embeddingFormat == weights.format ? "" : "; embedding \(weights.embeddingFormat)"
            print(String(format: "wrote %@: %.1f MB, %.1f%% of the float checkpoint's %.1f MB (%@%@)",
                         out, Double(outputBytes) / 1e6, 100 * Double(outputBytes) / Double(max(1, inputBytes)),
                         Double(inputBytes) / 1e6, "\(weights.format)", embedding))
            if let shortlist { print("kept the output shortlist: \(shortlist.tokens.count) of \(shortlist.vocabSize) tokens") }
        }
    }
}
