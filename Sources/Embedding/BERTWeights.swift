import Tensor

/// A BERT checkpoint's parameters, read from a Hugging Face `model.safetensors` (BertModel names,
/// with or without the `bert.` prefix a BertForX checkpoint adds).
///
/// float32 tensors are used in place inside the memory map, so loading touches no page a forward
/// pass does not need (most of the 30k-row word-embedding table is never read). Other float dtypes
/// are converted into owned buffers. Each layer's query, key and value projections are packed
/// into one [3C, C] matrix so the three are one GEMM.
public final class BERTWeights: @unchecked Sendable {
    /// One post-LayerNorm encoder block. Matrices are in nn.Linear's [out, in] layout.
    public struct Layer {
        public let qkvWeight: UnsafePointer<Float>          // [3C, C]: query, key, value rows
        public let qkvBias: UnsafePointer<Float>            // [3C]
        public let attentionOutputWeight: UnsafePointer<Float>  // [C, C]
        public let attentionOutputBias: UnsafePointer<Float>
        public let attentionNormWeight: UnsafePointer<Float>
        public let attentionNormBias: UnsafePointer<Float>
        public let intermediateWeight: UnsafePointer<Float>  // [I, C]
        public let intermediateBias: UnsafePointer<Float>    // [I]
        public let outputWeight: UnsafePointer<Float>        // [C, I]
        public let outputBias: UnsafePointer<Float>
        public let outputNormWeight: UnsafePointer<Float>
        public let outputNormBias: UnsafePointer<Float>
    }

    public let config: BERTConfig
    public let wordEmbeddings: UnsafePointer<Float>      // [V, C]
    public let positionEmbeddings: UnsafePointer<Float>  // [P, C]
    public let tokenTypeEmbeddings: UnsafePointer<Float> // [types, C]
    public let embeddingNormWeight: UnsafePointer<Float>
    public let embeddingNormBias: UnsafePointer<Float>
    public let layers: [Layer]

    /// Keeps the memory map (and with it every in-place pointer) alive.
    private let file: SafeTensorsFile
    private var ownedBuffers: [FloatBuffer] = []

    public init(file: SafeTensorsFile, config: BERTConfig) throws {
        self.file = file
        self.config = config
        let prefix = file.info("embeddings.word_embeddings.weight") == nil && file.info("bert.embeddings.word_embeddings.weight") != nil
            ? "bert." : ""
        let (c, ff) = (config.hiddenSize, config.intermediateSize)
        var owned: [FloatBuffer] = []

        /// The named tensor as floats of exactly `shape`, in place when it is aligned float32.
        func tensor(_ name: String, _ shape: [Int]) throws -> UnsafePointer<Float> {
            let fullName = prefix + name
            guard let info = file.info(fullName) else {
                throw EmbeddingError("\(file.path): no tensor named \"\(fullName)\" (config.json implies \(config.layerCount) layers of BertModel)")
            }
            guard info.shape == shape else {
                throw EmbeddingError("\(file.path): tensor \"\(fullName)\" has shape \(info.shape), but config.json implies \(shape)")
            }
            if info.dtype == .float32 {
                let bytes = try file.rawBytes(fullName)
                if let base = bytes.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                    return UnsafePointer(base.assumingMemoryBound(to: Float.self))
                }
            }
            let buffer = FloatBuffer(count: info.elementCount)
            do {
                try file.copyFloats(fullName, into: buffer.pointer, count: info.elementCount)
            } catch {
                throw EmbeddingError("\(error)")
            }
            owned.append(buffer)
            return UnsafePointer(buffer.pointer)
        }

        wordEmbeddings = try tensor("embeddings.word_embeddings.weight", [config.vocabularySize, c])
        positionEmbeddings = try tensor("embeddings.position_embeddings.weight", [config.maximumPositions, c])
        tokenTypeEmbeddings = try tensor("embeddings.token_type_embeddings.weight", [config.tokenTypeCount, c])
        embeddingNormWeight = try tensor("embeddings.LayerNorm.weight", [c])
        embeddingNormBias = try tensor("embeddings.LayerNorm.bias", [c])

        var layers: [Layer] = []
        for index in 0..<config.layerCount {
            let base = "encoder.layer.\(index)."
            let qkv = FloatBuffer(count: 3 * c * c + 3 * c)
            for (part, name) in ["query", "key", "value"].enumerated() {
                let weight = try tensor(base + "attention.self.\(name).weight", [c, c])
                let bias = try tensor(base + "attention.self.\(name).bias", [c])
                (qkv.pointer + part * c * c).update(from: weight, count: c * c)
                (qkv.pointer + 3 * c * c + part * c).update(from: bias, count: c)
            }
            owned.append(qkv)
            layers.append(Layer(
                qkvWeight: UnsafePointer(qkv.pointer),
                qkvBias: UnsafePointer(qkv.pointer + 3 * c * c),
                attentionOutputWeight: try tensor(base + "attention.output.dense.weight", [c, c]),
                attentionOutputBias: try tensor(base + "attention.output.dense.bias", [c]),
                attentionNormWeight: try tensor(base + "attention.output.LayerNorm.weight", [c]),
                attentionNormBias: try tensor(base + "attention.output.LayerNorm.bias", [c]),
                intermediateWeight: try tensor(base + "intermediate.dense.weight", [ff, c]),
                intermediateBias: try tensor(base + "intermediate.dense.bias", [ff]),
                outputWeight: try tensor(base + "output.dense.weight", [c, ff]),
                outputBias: try tensor(base + "output.dense.bias", [c]),
                outputNormWeight: try tensor(base + "output.LayerNorm.weight", [c]),
                outputNormBias: try tensor(base + "output.LayerNorm.bias", [c])))
        }
        self.layers = layers
        self.ownedBuffers = owned
    }

    /// Opens `model.safetensors`, with the file's own errors turned into one line naming it.
    public convenience init(path: String, config: BERTConfig) throws {
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile(path: path)
        } catch {
            throw EmbeddingError("\(error)")
        }
        try self.init(file: file, config: config)
    }
}
