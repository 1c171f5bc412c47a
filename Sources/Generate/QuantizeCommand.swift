import ArgumentParser
import CommandLineSupport
import Foundation
import GPT
import Tensor

/// `generate quantize`: writes an int8 copy of a float checkpoint.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write an int8 checkpoint (I8 weights + F32 scales, loaded by memory map) from a float one.")

    @Option(help: "Float checkpoint directory (Hugging Face GPT-2 layout).")
    var checkpoint: String

    @Option(help: "Output directory for the int8 checkpoint.")
    var out: String

    @Option(parsing: .unconditional, help: "Input features sharing one scale (64 measured best; ≥ n_embd means one scale per output channel).")
    var groupSize = QuantizedMatrix.defaultGroupSize

    @Flag(help: "Replace a checkpoint already in --out.")
    var overwrite = false

    mutating func run() throws {
        try runReportingErrors {
            guard groupSize >= 1 else { throw ValidationError("--group-size must be at least 1 (got \(groupSize))") }
            let source = URL(fileURLWithPath: checkpoint).standardizedFileURL.path
            let destination = URL(fileURLWithPath: out).standardizedFileURL.path
            guard source != destination else { throw ValidationError("--out must differ from --checkpoint") }
            if try Int8Checkpoint.groupSize(directory: checkpoint) != nil {
                throw ValidationError("--checkpoint \(checkpoint) is already an int8 checkpoint")
            }
            try RunDirectory.check(out: out, intent: .create(overwrite: overwrite), inputs: [("--checkpoint", checkpoint)])
            let model = try Checkpoint.load(directory: checkpoint)
            let weights = try InferenceCheckpoint.quantizeChecked(model, groupSize: groupSize, directory: checkpoint)
            try Int8Checkpoint.save(model: model, weights: weights, directory: out)

            let inputBytes = try InferenceCheckpoint.weightsFileBytes(directory: checkpoint)
            let outputBytes = try InferenceCheckpoint.weightsFileBytes(directory: out)
            print(String(format: "wrote %@: %.1f MB, %.1f%% of the float checkpoint's %.1f MB (int8, group size %d)",
                         out, Double(outputBytes) / 1e6, 100 * Double(outputBytes) / Double(max(1, inputBytes)),
                         Double(inputBytes) / 1e6, groupSize))
        }
    }
}
