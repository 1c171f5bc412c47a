import GPT
import Tensor

/// A frozen base model with adapters attached: what `train finetune` optimises. Only the
/// adapters are trainable, so the trainer's gradients and AdamW moments are adapter-sized and
/// the base's backward computes d(input) but no weight gradient.
public final class LoRAModel: TrainingTarget {
    public let base: GPTModel
    public let adapter: LoRAAdapter
    /// Recorded in `adapter_config.json` as `base_model_name_or_path`.
    public var baseModelName: String?

    public init(base: GPTModel, adapter: LoRAAdapter, baseModelName: String? = nil) throws {
        try adapter.checkCompatible(with: base.config)
        base.adapter = adapter
        base.isFrozen = true
        base.releaseTrainingMemory()
        self.base = base
        self.adapter = adapter
        self.baseModelName = baseModelName
    }

    /// Trainable share of all parameters (base + adapters).
    public var trainableFraction: Double {
        Double(adapter.parameterCount) / Double(adapter.parameterCount + base.parameterCount)
    }

    // MARK: TrainingTarget

    public var trainableParameters: FloatBuffer { adapter.parameters }
    public var trainableGradients: FloatBuffer { adapter.gradients }
    public var contextLength: Int { base.config.contextLength }

    /// PEFT's names; A and B are matrices, which PEFT/HF's Trainer decay like any weight.
    public var trainableSegments: [ParameterSegment] {
        adapter.slots.flatMap { slot in
            [ParameterSegment(name: slot.nameA, offset: slot.aOffset, count: adapter.rank * slot.inFeatures, decays: true),
             ParameterSegment(name: slot.nameB, offset: slot.bOffset, count: slot.outFeatures * adapter.rank, decays: true)]
        }
    }

    public func zeroTrainableGradients() { adapter.zeroGradients() }

    public func forwardBackward(tokens: [Int32], targets: [Int32], batchSize: Int, length: Int,
                                lossScale: Float, shard: BatchShard? = nil) throws -> Float {
        adapter.isTraining = true
        adapter.drawDropoutMasks(for: shard ?? .whole(tokens), length: length)
        defer { adapter.isTraining = false }
        return try base.forwardBackward(tokens: tokens, targets: targets, batchSize: batchSize, length: length,
                                        lossScale: lossScale, shard: shard)
    }

    /// Evaluation: no dropout.
    public func lossSum(tokens: [Int32], targets: [Int32], batchSize: Int, length: Int) throws -> (sum: Double, count: Int) {
        adapter.isTraining = false
        return try base.lossSum(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
    }

    /// Forward 2 and d(input) 2 FLOPs per base weight per token (no weight gradient), the
    /// attention products (12·L·C·T, none of which have weights), and 6 per adapter parameter.
    public func trainingFlopsPerToken(length: Int) -> Double {
        let config = base.config
        let weightsInProducts = Double(base.parameterCount - config.contextLength * config.embeddingSize)
        return 4 * weightsInProducts + 6 * Double(adapter.parameterCount)
            + 12 * Double(config.layerCount) * Double(config.embeddingSize) * Double(length)
    }

    /// Writes the adapter in PEFT's layout (the trainer's metadata has nowhere to go in it).
    public func save(to directory: String, metadata: [String: String], in set: FileSet?) throws {
        try adapter.save(to: directory, baseModel: baseModelName, in: set)
    }

    /// The base weights, the adapter with its gradient and two AdamW moments, the activations,
    /// and per adapter the saved x·Aᵀ plus the dropout scratch.
    public func estimatedTrainingBytes(batchSize: Int, length: Int) -> Int {
        // In Double: absurd flags must give an error message, not an integer overflow.
        let rows = Double(batchSize) * Double(length)
        let widest = Double(adapter.slots.map(\.inFeatures).max() ?? 0)
        let adapterBytes = 4 * (4 * Double(adapter.parameterCount) + Double(adapter.slots.count + 1) * rows * Double(adapter.rank)
            + (adapter.configuration.dropout > 0 ? rows * widest : 0))
        let bytes = 4 * Double(base.parameterCount) + adapterBytes + Double(base.activationBytes(batchSize: batchSize, length: length))
        return bytes < Double(Int.max / 2) ? Int(bytes) : Int.max / 2
    }
}
