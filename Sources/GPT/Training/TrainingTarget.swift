import Tensor

/// What the trainer optimises: the whole model (pretraining) or only adapters (LoRA).
/// Trainable values live in one buffer, described by segments so AdamW can decay some.
public protocol TrainingTarget: AnyObject {
    /// The trainable values and their gradients (same layout).
    var trainableParameters: FloatBuffer { get }
    var trainableGradients: FloatBuffer { get }
    /// Named ranges of the trainable buffer, with whether weight decay applies.
    var trainableSegments: [ParameterSegment] { get }
    /// The context length the model was built for.
    var contextLength: Int { get }

    func zeroTrainableGradients()
    /// Mean loss of the batch; accumulates `lossScale ×` its gradient. `shard` places the batch
    /// in a data-parallel global batch, which its dropout masks are drawn for.
    func forwardBackward(tokens: [Int32], targets: [Int32], batchSize: Int, length: Int, lossScale: Float,
                         shard: BatchShard?) throws -> Float
    /// Σ loss and scored count, without gradients.
    func lossSum(tokens: [Int32], targets: [Int32], batchSize: Int, length: Int) throws -> (sum: Double, count: Int)
    /// Approximate floating-point operations of one training step per token (forward + backward).
    func trainingFlopsPerToken(length: Int) -> Double
    /// Writes what a user loads afterwards (a checkpoint, or an adapter) into `directory`, staged
    /// in `set` when the trainer saves it together with its state.
    func save(to directory: String, metadata: [String: String], in set: FileSet?) throws
    /// Bytes of memory a training step of this shape needs (parameters, optimiser, activations).
    func estimatedTrainingBytes(batchSize: Int, length: Int) -> Int
}

public struct ParameterSegment: Sendable, Equatable {
    public let name: String
    public let offset: Int
    public let count: Int
    public let decays: Bool

    public init(name: String, offset: Int, count: Int, decays: Bool) {
        self.name = name
        self.offset = offset
        self.count = count
        self.decays = decays
    }
}

extension GPTModel: TrainingTarget {
    public var trainableParameters: FloatBuffer { parameters }

    public var trainableGradients: FloatBuffer {
        if gradients == nil { zeroGradients() }
        return gradients!
    }

    public var trainableSegments: [ParameterSegment] {
        layout.entries.map { ParameterSegment(name: "transformer." + $0.name, offset: $0.offset, count: $0.count, decays: $0.decays) }
    }

    public var contextLength: Int { config.contextLength }

    public func zeroTrainableGradients() { zeroGradients() }

    public func trainingFlopsPerToken(length: Int) -> Double {
        // nanoGPT's estimate: 6 FLOPs per parameter per token (the position table is a lookup,
        // not a product) plus the attention products, 12·L·C·T.
        let parametersInProducts = Double(parameterCount - config.contextLength * config.embeddingSize)
        return 6 * parametersInProducts
            + 12 * Double(config.layerCount) * Double(config.embeddingSize) * Double(length)
    }

    public func save(to directory: String, metadata: [String: String], in set: FileSet?) throws {
        try Checkpoint.save(self, directory: directory, metadata: metadata, in: set)
    }

    public func estimatedTrainingBytes(batchSize: Int, length: Int) -> Int {
        let parameterBytes = 4 * parameterCount * 4  // parameters, gradients, two AdamW moments
        return parameterBytes.addingReportingOverflow(activationBytes(batchSize: batchSize, length: length)).partialValue
    }

    public func activationBytes(batchSize: Int, length: Int) -> Int {
        config.activationBytes(batchSize: batchSize, length: length)
    }
}

extension GPTConfig {
    /// Bytes of `Activations` for a batch shape (in Double first: absurd flags must give an
    /// error message, not an integer overflow).
    public func activationBytes(batchSize: Int, length: Int) -> Int {
        let c = Double(embeddingSize), n = Double(batchSize) * Double(length), t = Double(length)
        let perBlock = n * (c * 11 + 4) + Double(batchSize) * Double(headCount) * t * t
        let scratch = n * c * 5 + n * 3 * c + n * 12 * c + 2 * t * min(t, Double(Attention.blockRows)) + 67_108_864
        let bytes = 4 * (Double(layerCount) * perBlock + n * c * 2 + scratch)
        return bytes < Double(Int.max / 2) ? Int(bytes) : Int.max / 2
    }

    /// Why training this shape with a batch of `batchSize` × `length` does not fit this machine's
    /// memory (parameters, gradients, two AdamW moments and the activations), naming `flags`.
    public func trainingMemoryProblem(batchSize: Int, length: Int, flags: String) -> String? {
        let parameters = checkedParameterCount.flatMap { SizeCheck.product($0, 16) }
        let bytes = parameters.flatMap { SizeCheck.sum([$0, activationBytes(batchSize: batchSize, length: length)]) }
        return SizeCheck.memoryProblem(bytes, for: flags)
    }
}
