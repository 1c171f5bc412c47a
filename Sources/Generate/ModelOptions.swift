import ArgumentParser
import Foundation
import GPT
import LoRA

/// The flags every `generate` subcommand uses to pick the weights it runs.
struct ModelOptions: ParsableArguments {
    @Option(help: "Checkpoint directory in Hugging Face GPT-2 layout (config.json + model.safetensors), float or quantized.")
    var checkpoint: String

    @OptionGroup(title: "Quantizing a float checkpoint as it loads")
    var quantization: QuantizationFlags

    @Option(help: "PEFT LoRA adapter directory applied on top of the weights, unmerged.")
    var lora: String?

    /// Loads the checkpoint (quantizing and adding the adapter as asked) and times it.
    func load() throws -> (weights: InferenceWeights, modelBytes: Int, loadMilliseconds: Double) {
        let start = DispatchTime.now()
        var loaded = try InferenceCheckpoint.load(directory: checkpoint, quantize: try quantization.quantization())
        if let lora {
            let adapter = try LoRAAdapter.load(directory: lora, model: loaded.weights.model)
            loaded.weights = try adapter.wrap(loaded.weights)
        }
        return (loaded.weights, loaded.modelBytes, LatencyBenchmark.milliseconds(since: start))
    }
}
