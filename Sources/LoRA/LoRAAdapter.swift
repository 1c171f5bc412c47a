import GPT
import Tensor

/// Low-rank adapters on a GPT model's projections, as PEFT's LoRA layer computes them:
///   y = x·W + b + s·dropout(x)·Aᵀ·Bᵀ,   A [r, in], B [out, r], s = alpha/r.
/// Every A and B lives in one buffer (`parameters`, PEFT's state-dict order) with a gradient
/// buffer of the same layout, so an optimiser treats the adapters as one flat vector.
/// Attach it with `model.adapter = adapter` (and `model.isFrozen = true` to train only it).
public final class LoRAAdapter: ProjectionAdapter, @unchecked Sendable {
    /// One adapter: the pair (A, B) on one projection of one block.
    public struct Slot: Sendable, Equatable {
        public let layer: Int
        public let projection: Projection
        public let inFeatures: Int
        public let outFeatures: Int
        /// Offset of A [r, in] in `parameters`.
        public let aOffset: Int
        /// Offset of B [out, r] in `parameters`.
        public let bOffset: Int

        /// The module's name in a Hugging Face GPT-2 model, e.g. `transformer.h.0.attn.c_attn`.
        public var moduleName: String { "transformer.h.\(layer).\(projection.rawValue)" }
        /// PEFT's saved name of A, e.g. `base_model.model.transformer.h.0.attn.c_attn.lora_A.weight`.
        public var nameA: String { "base_model.model.\(moduleName).lora_A.weight" }
        public var nameB: String { "base_model.model.\(moduleName).lora_B.weight" }
    }

    public let configuration: LoRAConfiguration
    public let modelConfig: GPTConfig
    public let slots: [Slot]
    /// Every A and B, in `slots` order, A before B.
    public let parameters: FloatBuffer
    /// d(loss)/d(parameters), accumulated by `backward`; cleared by `zeroGradients()`.
    public let gradients: FloatBuffer
    /// Dropout applies only while training; evaluation and inference see the plain adapters.
    public var isTraining = false

    public var rank: Int { configuration.rank }
    public var scaling: Float { configuration.scaling }

    /// slotIndex[layer][projection] → index in `slots`, for the hooks.
    let slotIndex: [[Projection: Int]]
    /// Per slot, h = dropout(x)·Aᵀ [rows, r] from the last forward, reused by backward.
    var hidden: [FloatBuffer]
    /// The seed the dropout masks derive from (see `drawDropoutMasks(for:length:)`); a resumed run
    /// sets it to the original run's seed.
    public var dropoutSeed: UInt64
    /// The current batch's seed; slot s drops with `dropoutMask(slot: s)`, derived from it.
    var batchSeed: UInt64
    /// Mask row of the current batch's row 0 within its global batch.
    var dropoutRowOffset = 0
    /// [rows, max in]: the dropped-out input, then d(dropped input) in backward.
    var dropoutScratch = FloatBuffer(count: 0)
    /// [rows, r]: d(h) in backward.
    var hiddenGradient = FloatBuffer(count: 0)
    var rowCapacity = 0

    /// Adapters with A = 0 and B = 0, for loading saved values into.
    public convenience init(modelConfig: GPTConfig, configuration: LoRAConfiguration) throws {
        try self.init(modelConfig: modelConfig, configuration: configuration, dropoutSeed: 0)
    }

    init(modelConfig: GPTConfig, configuration: LoRAConfiguration, dropoutSeed: UInt64) throws {
        if let problem = configuration.problem { throw LoRAError.invalidConfiguration(problem) }
        if let problem = modelConfig.problem { throw LoRAError.invalidConfiguration(problem) }
        let c = modelConfig.embeddingSize, r = configuration.rank
        // Values per layer: r·(in + out) for each target; parameters and gradients are allocated now.
        let perLayer = SizeCheck.sum(configuration.orderedTargets.map { projection in
            let (inFeatures, outFeatures) = Self.features(of: projection, channels: c)
            return SizeCheck.product(r, inFeatures + outFeatures)
        })
        let total = perLayer.flatMap { SizeCheck.product($0, modelConfig.layerCount) }
        if let problem = SizeCheck.memoryProblem(total.flatMap { SizeCheck.product($0, 8) },
                                                 for: "rank \(r) adapters on \(modelConfig.layerCount) layers of width \(c)") {
            throw LoRAError.invalidConfiguration(problem)
        }
        self.configuration = configuration
        self.modelConfig = modelConfig
        var slots: [Slot] = []
        var index: [[Projection: Int]] = []
        var offset = 0
        for layer in 0..<modelConfig.layerCount {
            var layerIndex: [Projection: Int] = [:]
            for projection in configuration.orderedTargets {
                let (inFeatures, outFeatures) = Self.features(of: projection, channels: c)
                layerIndex[projection] = slots.count
                slots.append(Slot(layer: layer, projection: projection, inFeatures: inFeatures,
                                  outFeatures: outFeatures, aOffset: offset, bOffset: offset + r * inFeatures))
                offset += r * (inFeatures + outFeatures)
            }
            index.append(layerIndex)
        }
        self.slots = slots
        slotIndex = index
        parameters = FloatBuffer(count: offset)
        gradients = FloatBuffer(count: offset)
        hidden = slots.map { _ in FloatBuffer(count: 0) }
        self.dropoutSeed = dropoutSeed
        batchSeed = dropoutSeed
    }

    /// Fresh adapters as PEFT initialises them: A Kaiming-uniform with a = √5 (PyTorch's
    /// nn.Linear default, so U(-1/√in, 1/√in)), B zero, so the adapted model starts out
    /// exactly equal to the base. `seed` also seeds the dropout masks.
    public convenience init(modelConfig: GPTConfig, configuration: LoRAConfiguration, seed: UInt64) throws {
        try self.init(modelConfig: modelConfig, configuration: configuration, dropoutSeed: seed)
        var generator = SeededGenerator(seed: seed)
        // kaiming_uniform_(a=√5): gain = √(2/(1+a²)) = √(1/3), bound = √3·gain/√fan_in = 1/√fan_in.
        for slot in slots {
            let bound = 1 / Float(slot.inFeatures).squareRoot()
            let a = parameters.pointer + slot.aOffset
            for i in 0..<(rank * slot.inFeatures) {
                a[i] = -bound + 2 * bound * generator.nextUniform()
            }
        }
    }

    /// Derives the dropout masks from a seed that mixes `dropoutSeed` with the global batch's
    /// tokens: the masks of a step depend only on its batch, so a resumed run (which replays the
    /// same batches) draws the same masks as an uninterrupted one, and a data-parallel rank
    /// applies the global batch's masks from its first sequence's row (`length` rows each).
    public func drawDropoutMasks(for shard: BatchShard, length: Int) {
        batchSeed = Dropout.batchSeed(dropoutSeed, tokens: shard.globalTokens)
        dropoutRowOffset = shard.firstSequence * length
    }

    /// Slot s's mask for the current batch, the same in its forward and its backward pass.
    func dropoutMask(slot s: Int) -> DropoutMask {
        DropoutMask(probability: configuration.dropout, seed: Dropout.siteSeed(batchSeed, site: s),
                    rowOffset: dropoutRowOffset)
    }

    /// (in, out) of a projection in a model `channels` wide.
    static func features(of projection: Projection, channels c: Int) -> (Int, Int) {
        switch projection {
        case .attention: (c, 3 * c)
        case .attentionProjection: (c, c)
        case .fc: (c, 4 * c)
        case .fcProjection: (4 * c, c)
        }
    }

    public var parameterCount: Int { parameters.count }

    public func zeroGradients() { gradients.zero() }

    func ensureCapacity(rows: Int) {
        guard rows > rowCapacity else { return }
        rowCapacity = rows
        hidden = slots.map { _ in FloatBuffer(count: rows * rank) }
        hiddenGradient = FloatBuffer(count: rows * rank)
        let widest = slots.map(\.inFeatures).max() ?? 0
        dropoutScratch = FloatBuffer(count: configuration.dropout > 0 ? rows * widest : 0)
    }

    var dropoutActive: Bool { isTraining && configuration.dropout > 0 }

    // MARK: ProjectionAdapter

    public func forward(layer: Int, projection: Projection, input: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>, rows: Int) {
        guard let s = slotIndex[layer][projection] else { return }
        let slot = slots[s]
        ensureCapacity(rows: rows)
        var x = input
        if dropoutActive {
            dropoutMask(slot: s).apply(input, into: dropoutScratch.pointer, rows: rows, columns: slot.inFeatures)
            x = UnsafePointer(dropoutScratch.pointer)
        }
        let a = parameters.pointer + slot.aOffset, b = parameters.pointer + slot.bOffset
        let h = hidden[s].pointer
        // h [rows, r] = x · Aᵀ ;  output [rows, out] += s · h · Bᵀ
        Matmul.gemm(transposeB: true, m: rows, n: rank, k: slot.inFeatures, a: x, b: a, c: h)
        Matmul.gemm(transposeB: true, m: rows, n: slot.outFeatures, k: rank, alpha: scaling,
                    a: h, b: b, beta: 1, c: output)
    }

    public func backward(layer: Int, projection: Projection, input: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                         dInput: UnsafeMutablePointer<Float>, rows: Int) {
        guard let s = slotIndex[layer][projection] else { return }
        let slot = slots[s]
        let a = parameters.pointer + slot.aOffset, b = parameters.pointer + slot.bOffset
        let dA = gradients.pointer + slot.aOffset, dB = gradients.pointer + slot.bOffset
        let h = hidden[s].pointer, dh = hiddenGradient.pointer
        // dh [rows, r] = s · dOut · B ;  dB [out, r] += s · dOutᵀ · h
        Matmul.gemm(m: rows, n: rank, k: slot.outFeatures, alpha: scaling, a: dOut, b: b, c: dh)
        Matmul.gemm(transposeA: true, m: slot.outFeatures, n: rank, k: rows, alpha: scaling,
                    a: dOut, b: h, beta: 1, c: dB)
        guard dropoutActive else {
            // dA [r, in] += dhᵀ · x ;  dInput [rows, in] += dh · A
            Matmul.gemm(transposeA: true, m: rank, n: slot.inFeatures, k: rows, a: dh, b: input, beta: 1, c: dA)
            Matmul.gemm(m: rows, n: slot.inFeatures, k: rank, a: dh, b: a, beta: 1, c: dInput)
            return
        }
        // The mask is regenerated from its seed rather than stored: [rows, in] per slot saved.
        let scratch = dropoutScratch.pointer
        let mask = dropoutMask(slot: s)
        mask.apply(input, into: scratch, rows: rows, columns: slot.inFeatures)
        Matmul.gemm(transposeA: true, m: rank, n: slot.inFeatures, k: rows, a: dh, b: scratch, beta: 1, c: dA)
        Matmul.gemm(m: rows, n: slot.inFeatures, k: rank, a: dh, b: a, c: scratch)
        mask.accumulate(scratch, into: dInput, rows: rows, columns: slot.inFeatures)
    }
}
