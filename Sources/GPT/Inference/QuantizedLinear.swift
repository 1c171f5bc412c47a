import Tensor

/// What a quantized projection does with its input rows.
public enum QuantizedActivations: Sendable {
    /// Float activations: each weight is widened to float (`QuantizedMatrix`, `Q4Matrix`).
    case float
    /// Int8 weights meet int8-quantized activations where the CPU has AVX-512 VNNI
    /// (`Int8ActivationMatrix`): a batched decoding step costs about twice one row instead of
    /// six to eight times. Other formats and machines stay on `.float`.
    case int8
}

/// A projection with quantized weights (int8 or 4-bit): the batch-1 kernel reads a quarter (an
/// eighth) of the float bytes per decoding step; several rows (prefill, perplexity, a batched
/// step) go through the multi-row kernel, which unpacks each weight once for many input rows.
public struct QuantizedLinear: LinearOperator, @unchecked Sendable {
    public let matrix: any QuantizedWeight
    /// The int8 × int8 form of `matrix`, when `.int8` activations were asked for and this machine runs them.
    public let integerProduct: Int8ActivationMatrix?
    /// Float bias [out], or nil.
    public let bias: UnsafePointer<Float>?
    /// Keeps the memory `bias` points into alive (the model's parameter buffer).
    let biasOwner: AnyObject?

    public var inFeatures: Int { matrix.columns }
    public var outFeatures: Int { matrix.rows }

    public init(matrix: any QuantizedWeight, bias: UnsafePointer<Float>?, biasOwner: AnyObject?,
                activations: QuantizedActivations = .float) {
        self.matrix = matrix
        self.bias = bias
        self.biasOwner = biasOwner
        if activations == .int8, let int8 = matrix as? QuantizedMatrix {
            integerProduct = Int8ActivationMatrix(int8)
        } else {
            integerProduct = nil
        }
    }

    public func apply(rows: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        if let integerProduct {
            integerProduct.multiply(rows: rows, input: input, into: output, bias: bias)
        } else {
            matrix.multiply(rows: rows, input: input, into: output, bias: bias, threads: nil)
        }
    }
}

/// The quantized matrices of a whole model: the four projections of every block and the tied
/// token embedding / LM head (which may keep a format of its own, e.g. int8 beside 4-bit
/// projections). Everything else (LayerNorms, biases, position embeddings) stays float in the
/// model's parameter buffer.
public struct QuantizedModelWeights: Sendable {
    public struct Block: Sendable {
        public var attention, attentionProjection, fc, fcProjection: any QuantizedWeight
    }

    public var blocks: [Block]
    /// wte [V, C] as `.rowsAreOutputs`: rows are both the embeddings and the head's outputs.
    public var tokenEmbedding: any QuantizedWeight
    /// The projections' format.
    public let format: QuantizationFormat
    public var embeddingFormat: QuantizationFormat { tokenEmbedding.format }

    public init(blocks: [Block], tokenEmbedding: any QuantizedWeight, format: QuantizationFormat) {
        self.blocks = blocks
        self.tokenEmbedding = tokenEmbedding
        self.format = format
    }

    /// Quantizes every matrix of a float model: the projections in `format`, the embedding /
    /// head in `embeddingFormat` (default the same). `searchScale` as in `QuantizationFormat.quantize`.
    public init(quantizing model: GPTModel, format: QuantizationFormat = .int8,
                embeddingFormat: QuantizationFormat? = nil, searchScale: Bool = true) throws {
        let c = model.config.embeddingSize
        let p = model.parameters.pointer
        func quantize(_ offset: Int, _ inFeatures: Int, _ outFeatures: Int) throws -> any QuantizedWeight {
            try format.quantize(p + offset, inFeatures: inFeatures, outFeatures: outFeatures, layout: .conv1D,
                                searchScale: searchScale)
        }
        blocks = try model.layout.blocks.map { b in
            Block(attention: try quantize(b.attentionWeight, c, 3 * c),
                  attentionProjection: try quantize(b.attentionProjWeight, c, c),
                  fc: try quantize(b.fcWeight, c, 4 * c),
                  fcProjection: try quantize(b.fcProjWeight, 4 * c, c))
        }
        tokenEmbedding = try (embeddingFormat ?? format).quantize(
            p + model.layout.tokenEmbedding, inFeatures: c, outFeatures: model.config.vocabSize,
            layout: .rowsAreOutputs, searchScale: searchScale)
        self.format = format
    }

    /// Bytes of the quantized codes, scales and minimums together.
    public var byteCount: Int {
        blocks.reduce(tokenEmbedding.byteCount) { total, block in
            total + block.attention.byteCount + block.attentionProjection.byteCount
                + block.fc.byteCount + block.fcProjection.byteCount
        }
    }
}

extension InferenceWeights {
    /// Decoding operators over quantized matrices, with `model` supplying the float parameters
    /// (biases, LayerNorms, position embeddings). The model's own float matrices are not read.
    /// `activations` `.int8` (the default) multiplies int8 matrices with int8 activations where
    /// the CPU allows (`QuantizedActivations`).
    public init(model: GPTModel, quantized: QuantizedModelWeights, activations: QuantizedActivations = .int8) throws {
        guard quantized.blocks.count == model.config.layerCount,
              quantized.tokenEmbedding.rows == model.config.vocabSize,
              quantized.tokenEmbedding.columns == model.config.embeddingSize else {
            throw GPTError.invalidConfig("quantized weights for \(quantized.blocks.count) layers and a \(quantized.tokenEmbedding.rows)×\(quantized.tokenEmbedding.columns) embedding do not fit a model of \(model.config.layerCount) layers, vocabulary \(model.config.vocabSize), width \(model.config.embeddingSize)")
        }
        self.init(model: model)
        let p = model.parameters.pointer
        let buffer = model.parameters
        for (l, offsets) in model.layout.blocks.enumerated() {
            let matrices = quantized.blocks[l]
            blocks[l] = Block(
                attention: QuantizedLinear(matrix: matrices.attention, bias: p + offsets.attentionBias, biasOwner: buffer,
                                           activations: activations),
                attentionProjection: QuantizedLinear(matrix: matrices.attentionProjection, bias: p + offsets.attentionProjBias,
                                                     biasOwner: buffer, activations: activations),
                fc: QuantizedLinear(matrix: matrices.fc, bias: p + offsets.fcBias, biasOwner: buffer, activations: activations),
                fcProjection: QuantizedLinear(matrix: matrices.fcProjection, bias: p + offsets.fcProjBias, biasOwner: buffer,
                                              activations: activations))
        }
        let embedding = quantized.tokenEmbedding
        head = QuantizedLinear(matrix: embedding, bias: nil, biasOwner: nil, activations: activations)
        tokenEmbedding = { token, out in embedding.dequantizeRow(token, into: out) }
    }
}
