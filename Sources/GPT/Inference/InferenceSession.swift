import Tensor

/// Decoding with a KV cache, one sequence at a time: `prefill` runs the prompt as one batched
/// forward (GEMMs), then each `next` runs a single token (GEMV-shaped) against the cached keys
/// and values, never recomputing the past.
public final class InferenceSession {
    public let weights: InferenceWeights
    public let config: GPTConfig
    /// Tokens held in the cache (the next token's position).
    public private(set) var position = 0

    let keys: [FloatBuffer]    // per block [maxT, C]
    let values: [FloatBuffer]  // per block [maxT, C]
    // Work buffers sized for a whole context of rows.
    let residual, normed, attentionOut, projected: FloatBuffer  // [maxT, C]
    let qkv: FloatBuffer        // [maxT, 3C]
    let hidden: FloatBuffer     // [maxT, 4C]
    let scores: FloatBuffer     // [maxT, maxT], one head at a time; [heads, maxT] when decoding
    public let logits: FloatBuffer  // [V]

    public init(weights: InferenceWeights) {
        self.weights = weights
        config = weights.model.config
        let t = config.contextLength, c = config.embeddingSize
        keys = (0..<config.layerCount).map { _ in FloatBuffer(count: t * c) }
        values = (0..<config.layerCount).map { _ in FloatBuffer(count: t * c) }
        residual = FloatBuffer(count: t * c)
        normed = FloatBuffer(count: t * c)
        attentionOut = FloatBuffer(count: t * c)
        projected = FloatBuffer(count: t * c)
        qkv = FloatBuffer(count: t * 3 * c)
        hidden = FloatBuffer(count: t * 4 * c)
        scores = FloatBuffer(count: t * max(t, config.headCount))
        logits = FloatBuffer(count: config.vocabSize)
    }

    public convenience init(model: GPTModel) {
        self.init(weights: InferenceWeights(model: model))
    }

    /// Forgets the cached sequence.
    public func reset() { position = 0 }

    /// Room left in the context.
    public var remainingContext: Int { config.contextLength - position }

    /// Appends `tokens` to the cached sequence and returns the logits `[V]` that predict the
    /// token after the last one (valid until the next call).
    @discardableResult
    public func prefill(_ tokens: [Int]) throws -> UnsafeBufferPointer<Float> {
        guard !tokens.isEmpty else { throw GPTError.invalidInput("nothing to run: the prompt has no tokens") }
        guard tokens.count <= remainingContext else {
            throw GPTError.invalidInput("\(position + tokens.count) tokens exceed the model's context of \(config.contextLength)")
        }
        if let bad = tokens.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            throw GPTError.invalidInput("token id \(bad) is outside the vocabulary (size \(config.vocabSize))")
        }
        run(tokens)
        return UnsafeBufferPointer(start: logits.pointer, count: config.vocabSize)
    }

    /// Runs one token: the decoding step.
    @discardableResult
    public func next(_ token: Int) throws -> UnsafeBufferPointer<Float> {
        try prefill([token])
    }

    func run(_ tokens: [Int]) {
        let n = tokens.count, c = config.embeddingSize, start = position
        let model = weights.model
        let p = model.parameters.pointer
        let wpe = p + model.layout.positionEmbedding
        let x = residual.pointer
        for (i, token) in tokens.enumerated() {
            weights.tokenEmbedding(token, x + i * c)
            let row = x + i * c, positionRow = wpe + (start + i) * c
            for j in 0..<c { row[j] += positionRow[j] }
        }
        for (l, block) in weights.blocks.enumerated() {
            let offsets = model.layout.blocks[l]
            LayerNorm.forward(out: normed.pointer, mean: nil, rstd: nil, input: x,
                              weight: p + offsets.ln1Weight, bias: p + offsets.ln1Bias,
                              rows: n, channels: c, eps: config.layerNormEpsilon)
            block.attention.apply(rows: n, input: normed.pointer, output: qkv.pointer)
            attend(layer: l, rows: n, start: start)
            block.attentionProjection.apply(rows: n, input: attentionOut.pointer, output: projected.pointer)
            Elementwise.accumulate(into: x, from: projected.pointer, count: n * c)

            LayerNorm.forward(out: normed.pointer, mean: nil, rstd: nil, input: x,
                              weight: p + offsets.ln2Weight, bias: p + offsets.ln2Bias,
                              rows: n, channels: c, eps: config.layerNormEpsilon)
            block.fc.apply(rows: n, input: normed.pointer, output: hidden.pointer)
            GELU.forward(out: hidden.pointer, input: hidden.pointer, count: n * 4 * c)
            block.fcProjection.apply(rows: n, input: hidden.pointer, output: projected.pointer)
            Elementwise.accumulate(into: x, from: projected.pointer, count: n * c)
        }
        // Only the last position's logits are needed.
        let last = x + (n - 1) * c
        LayerNorm.forward(out: normed.pointer, mean: nil, rstd: nil, input: last,
                          weight: p + model.layout.lnFinalWeight, bias: p + model.layout.lnFinalBias,
                          rows: 1, channels: c, eps: config.layerNormEpsilon)
        weights.head.apply(rows: 1, input: normed.pointer, output: logits.pointer)
        position += n
    }

    /// Appends this chunk's keys and values to block `layer`'s cache, then attends each of the
    /// `rows` new queries to every cached position up to its own.
    func attend(layer: Int, rows n: Int, start: Int) {
        let c = config.embeddingSize, heads = config.headCount, headSize = config.headSize
        let k = keys[layer].pointer, v = values[layer].pointer
        for i in 0..<n {
            (k + (start + i) * c).update(from: qkv.pointer + i * 3 * c + c, count: c)
            (v + (start + i) * c).update(from: qkv.pointer + i * 3 * c + 2 * c, count: c)
        }
        let total = start + n
        let scale = 1 / Float(headSize).squareRoot()
        if n == 1 {
            DecodeAttention.attend(query: qkv.pointer, keys: k, values: v, rowStride: c, positions: total, heads: heads,
                                   headSize: headSize, scale: scale, scratch: scores.pointer, out: attentionOut.pointer)
            return
        }
        for h in 0..<heads {
            let q = qkv.pointer + h * headSize
            // scores [n, total] = Q_h [n, d] · K_hᵀ
            Matmul.gemm(transposeB: true, m: n, n: total, k: headSize,
                        a: q, lda: 3 * c, b: k + h * headSize, ldb: c, c: scores.pointer)
            Softmax.causalForward(probs: scores.pointer, scores: scores.pointer, rows: n, columns: total,
                                  offset: start, scale: scale)
            // out_h [n, d] = P [n, total] · V_h
            Matmul.gemm(m: n, n: headSize, k: total, a: scores.pointer, b: v + h * headSize, ldb: c,
                        c: attentionOut.pointer + h * headSize, ldc: c)
        }
    }
}
