import Tensor

/// A projection with int8 weights and float activations: the batch-1 kernel reads a quarter
/// of the float bytes per decoding step; several rows (prefill, perplexity) go through the
/// multi-row int8 kernel, which widens each weight once for four input rows.
public struct Int8Linear: LinearOperator, @unchecked Sendable {
    public let matrix: QuantizedMatrix
    /// Float bias [out], or nil.
    public let bias: UnsafePointer<Float>?
    /// Keeps the memory `bias` points into alive (the model's parameter buffer).
    let biasOwner: AnyObject?

    public var inFeatures: Int { matrix.inFeatures }
    public var outFeatures: Int { matrix.outFeatures }

    public init(matrix: QuantizedMatrix, bias: UnsafePointer<Float>?, biasOwner: AnyObject?) {
        self.matrix = matrix
        self.bias = bias
        self.biasOwner = biasOwner
    }

    public func apply(rows: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        matrix.multiply(rows: rows, input: input, into: output, bias: bias)
    }
}

/// The int8 matrices of a whole model: the four projections of every block and the tied
/// token embedding / LM head. Everything else (LayerNorms, biases, position embeddings) stays
/// float in the model's parameter buffer.
public struct Int8ModelWeights: Sendable {
    public struct Block: Sendable {
        public var attention, attentionProjection, fc, fcProjection: QuantizedMatrix
    }

    public var blocks: [Block]
    /// wte [V, C] as `.rowsAreOutputs`: rows are both the embeddings and the head's outputs.
    public var tokenEmbedding: QuantizedMatrix
    public var groupSize: Int { tokenEmbedding.groupSize }

    public init(blocks: [Block], tokenEmbedding: QuantizedMatrix) {
        self.blocks = blocks
        self.tokenEmbedding = tokenEmbedding
    }

    /// Quantizes every matrix of a float model.
    public init(quantizing model: GPTModel, groupSize: Int = QuantizedMatrix.defaultGroupSize) throws {
        let c = model.config.embeddingSize
        let p = model.parameters.pointer
        func quantize(_ offset: Int, _ inFeatures: Int, _ outFeatures: Int) throws -> QuantizedMatrix {
            try QuantizedMatrix(quantizing: p + offset, inFeatures: inFeatures, outFeatures: outFeatures,
                                layout: .conv1D, groupSize: groupSize)
        }
        blocks = try model.layout.blocks.map { b in
            Block(attention: try quantize(b.attentionWeight, c, 3 * c),
                  attentionProjection: try quantize(b.attentionProjWeight, c, c),
                  fc: try quantize(b.fcWeight, c, 4 * c),
                  fcProjection: try quantize(b.fcProjWeight, 4 * c, c))
        }
        tokenEmbedding = try QuantizedMatrix(quantizing: p + model.layout.tokenEmbedding, inFeatures: c,
                                             outFeatures: model.config.vocabSize, layout: .rowsAreOutputs,
                                             groupSize: groupSize)
    }

    /// Bytes of the int8 values and scales together.
    public var byteCount: Int {
        blocks.reduce(tokenEmbedding.byteCount) { total, block in
            total + block.attention.byteCount + block.attentionProjection.byteCount
                + block.fc.byteCount + block.fcProjection.byteCount
        }
    }
}

extension InferenceWeights {
    /// Decoding operators over int8 matrices, with `model` supplying the float parameters
    /// (biases, LayerNorms, position embeddings). The model's own float matrices are not read.
    public init(model: GPTModel, int8 quantized: Int8ModelWeights) throws {
        guard quantized.blocks.count == model.config.layerCount,
              quantized.tokenEmbedding.outFeatures == model.config.vocabSize,
              quantized.tokenEmbedding.inFeatures == model.config.embeddingSize else {
            throw GPTError.invalidConfig("int8 weights for \(quantized.blocks.count) layers and a \(quantized.tokenEmbedding.outFeatures)×\(quantized.tokenEmbedding.inFeatures) embedding do not fit a model of \(model.config.layerCount) layers, vocabulary \(model.config.vocabSize), width \(model.config.embeddingSize)")
        }
        self.init(model: model)
        let p = model.parameters.pointer
        let buffer = model.parameters
        for (l, offsets) in model.layout.blocks.enumerated() {
            let matrices = quantized.blocks[l]
            blocks[l] = Block(
                attention: Int8Linear(matrix: matrices.attention, bias: p + offsets.attentionBias, biasOwner: buffer),
                attentionProjection: Int8Linear(matrix: matrices.attentionProjection, bias: p + offsets.attentionProjBias,
                                                biasOwner: buffer),
                fc: Int8Linear(matrix: matrices.fc, bias: p + offsets.fcBias, biasOwner: buffer),
                fcProjection: Int8Linear(matrix: matrices.fcProjection, bias: p + offsets.fcProjBias, biasOwner: buffer))
        }
        let embedding = quantized.tokenEmbedding
        head = Int8Linear(matrix: embedding, bias: nil, biasOwner: nil)
        tokenEmbedding = { token, out in embedding.dequantizeRow(token, into: out) }
    }
}
