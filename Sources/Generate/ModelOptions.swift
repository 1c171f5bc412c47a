import ArgumentParser
import Foundation
import GPT
import LoRA

/// The flags every `generate` subcommand uses to pick the weights it runs.
struct ModelOptions: ParsableArguments {
    @Option(help: "Checkpoint directory in Hugging Face GPT-2 layout (config.json + model.safetensors), float or int8.")
    var checkpoint: String

    @Flag(help: "Quantize a float checkpoint to int8 weights as it loads.")
    var int8 = false

    @Option(help: "PEFT LoRA adapter directory applied on top of the weights, unmerged.")
    var lora: String?

    /// Loads the checkpoint (quantizing and adding the adapter as asked) and times it.
    func load() throws -> (weights: InferenceWeights, modelBytes: Int, loadMilliseconds: Double) {
        let start = DispatchTime.now()
        var loaded = try InferenceCheckpoint.load(directory: checkpoint, quantize: int8)
        if let lora {
            let adapter = try LoRAAdapter.load(directory: lora, model: loaded.weights.model)
            loaded.weights = try adapter.wrap(loaded.weights)
        }
        return (loaded.weights, loaded.modelBytes, LatencyBenchmark.milliseconds(since: start))
    }
}
