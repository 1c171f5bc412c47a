import Tensor

/// One sequence's keys and values, per block head by head `[heads, contextLength, headSize]`, and
/// how many positions they hold. Head-major so that a decoding query reads its head's cached
/// positions as one contiguous run the prefetcher follows: with `[contextLength, C]` every
/// position's 256 bytes sat 2 KB (slm60m) from the last, a page apart every other position, and
/// attention cost a third as much CPU as all the int8 products of a step of ten sequences.
/// Pages of the buffers are touched only as positions fill (large `FloatBuffer`s are lazily
/// zeroed maps), so a short narrative costs a few pages per head, not a whole context.
final class KeyValueCache {
    let keys: [FloatBuffer]
    let values: [FloatBuffer]
    var position = 0

    init(config: GPTConfig) {
        let size = config.contextLength * config.embeddingSize
        keys = (0..<config.layerCount).map { _ in FloatBuffer(count: size) }
        values = (0..<config.layerCount).map { _ in FloatBuffer(count: size) }
    }
}

/// The forward pass over rows from several sequences at once: every projection runs once over
/// all rows (a GEMM, or the multi-row int8 kernel), while attention, positions and the KV cache
/// stay per sequence. A decoding sequence contributes one row, a prefilling one a chunk of its
/// prompt; both kinds share the step.
final class BatchedForward {
    /// A run of consecutive tokens of one sequence, appended to its cache at its position.
    struct Segment {
        let cache: KeyValueCache
        let tokens: ArraySlice<Int>
        /// Whether the logits after the segment's last token are wanted (the end of its pending input).
        let wantsLogits: Bool
    }

    let weights: InferenceWeights
    let config: GPTConfig
    private var rowCapacity = 0
    // Work buffers for `rowCapacity` rows, grown when a step needs more.
    private var residual, normed, attentionOut, projected: FloatBuffer  // [R, C]
    private var qkv: FloatBuffer     // [R, 3C]
    private var hidden: FloatBuffer  // [R, 4C]
    /// The final-LayerNormed rows whose logits are wanted, gathered [S, C], and their logits [S, V].
    private var lastRows: FloatBuffer
    private(set) var logits: FloatBuffer
    private var logitsCapacity = 0
    /// A head restricted to a shortlist computes `shortlistLogits` [rows, S]. With `compactRows`
    /// they stay so (`row(_:)` maps them to ids); otherwise they are written into their columns of
    /// `logits`, kept −∞ elsewhere from when the buffer is made.
    private let shortlistHead: ShortlistHead?
    private var shortlistLogits: FloatBuffer
    let compactRows: Bool
    /// Two attention-score rows `[2, contextLength]` per worker thread (a pair of heads).
    private let scoreRows: FloatBuffer

    /// `compactRows`: leave a shortlisted head's rows `[S]` (the generators, through `row(_:)`)
    /// instead of writing whole `[V]` rows into `logits`.
    init(weights: InferenceWeights, compactRows: Bool = false) {
        self.weights = weights
        self.compactRows = compactRows
        config = weights.model.config
        residual = FloatBuffer(count: 0)
        normed = residual
        attentionOut = residual
        projected = residual
        qkv = residual
        hidden = residual
        lastRows = residual
        logits = residual
        shortlistHead = weights.head as? ShortlistHead
        shortlistLogits = residual
        scoreRows = FloatBuffer(count: Parallel.coreCount * 2 * config.contextLength)
    }

    private func reserve(rows: Int, logitRows: Int) {
        let c = config.embeddingSize
        if rows > rowCapacity {
            rowCapacity = rows
            residual = FloatBuffer(count: rows * c)
            normed = FloatBuffer(count: rows * c)
            attentionOut = FloatBuffer(count: rows * c)
            projected = FloatBuffer(count: rows * c)
            qkv = FloatBuffer(count: rows * 3 * c)
            hidden = FloatBuffer(count: rows * 4 * c)
        }
        if logitRows > logitsCapacity {
            logitsCapacity = logitRows
            lastRows = FloatBuffer(count: logitRows * c)
            if let shortlistHead {
                shortlistLogits = FloatBuffer(count: logitRows * shortlistHead.shortlistCount)
            }
            if !(compactRows && shortlistHead != nil) {
                logits = FloatBuffer(count: logitRows * config.vocabSize)
                if shortlistHead != nil { logits.pointer.update(repeating: -.infinity, count: logits.count) }
            }
        }
    }

    /// Every product of a forward: the four of each block, then the head (a shortlisted head's rows).
    private var products: [any LinearOperator] {
        let head = (weights.head as? ShortlistHead)?.products ?? weights.head
        return weights.blocks.flatMap { [$0.attention, $0.attentionProjection, $0.fc, $0.fcProjection] } + [head]
    }

    /// The weights of every product, blocks and head (one byte each in int8).
    var productWeightCount: Int { products.reduce(0) { $0 + $1.inFeatures * $1.outFeatures } }

    /// Whether every product gives a row the same bits whatever other rows it runs with: the
    /// int8 × int8 kernel's documented contract (float GEMMs and the float-activation kernels
    /// make no such promise).
    var rowsAreIndependentOfTheBatch: Bool { products.allSatisfy { ($0 as? QuantizedLinear)?.integerProduct != nil } }

    /// Every row's hidden state after the last block (before the final LayerNorm), [R, C], of the last `run`.
    var hiddenStates: UnsafeMutablePointer<Float> { residual.pointer }

    /// Runs `segments` (each fits its cache's remaining context, token ids already checked),
    /// advances their caches, and leaves one row of logits per segment that wants them, in
    /// segment order (`row(_:)`; in `logits` as `[V]` rows unless `compactRows`).
    func run(_ segments: [Segment]) {
        let rows = segments.reduce(0) { $0 + $1.tokens.count }
        let logitRows = segments.reduce(0) { $0 + ($1.wantsLogits ? 1 : 0) }
        guard rows > 0 else { return }
        reserve(rows: rows, logitRows: logitRows)
        let c = config.embeddingSize, model = weights.model
        let p = model.parameters.pointer
        let x = residual.pointer
        var starts: [Int] = []  // each segment's first row
        var row = 0
        for segment in segments {
            starts.append(row)
            let wpe = p + model.layout.positionEmbedding + segment.cache.position * c
            for (i, token) in segment.tokens.enumerated() {
                weights.tokenEmbedding(token, x + row * c)
                Elementwise.accumulate(into: x + row * c, from: wpe + i * c, count: c)
                row += 1
            }
        }
        for (l, block) in weights.blocks.enumerated() {
            let offsets = model.layout.blocks[l]
            LayerNorm.forward(out: normed.pointer, mean: nil, rstd: nil, input: x,
                              weight: p + offsets.ln1Weight, bias: p + offsets.ln1Bias,
                              rows: rows, channels: c, eps: config.layerNormEpsilon)
            block.attention.apply(rows: rows, input: normed.pointer, output: qkv.pointer)
            attend(layer: l, segments: segments, starts: starts)
            block.attentionProjection.apply(rows: rows, input: attentionOut.pointer, output: projected.pointer)
            Elementwise.accumulate(into: x, from: projected.pointer, count: rows * c)

            LayerNorm.forward(out: normed.pointer, mean: nil, rstd: nil, input: x,
                              weight: p + offsets.ln2Weight, bias: p + offsets.ln2Bias,
                              rows: rows, channels: c, eps: config.layerNormEpsilon)
            block.fc.apply(rows: rows, input: normed.pointer, output: hidden.pointer)
            GELU.forward(out: hidden.pointer, input: hidden.pointer, count: rows * 4 * c)
            block.fcProjection.apply(rows: rows, input: hidden.pointer, output: projected.pointer)
            Elementwise.accumulate(into: x, from: projected.pointer, count: rows * c)
        }
        for segment in segments { segment.cache.position += segment.tokens.count }
        guard logitRows > 0 else { return }
        // Only each wanting segment's last row reaches the head: one [S, C] · [C, V] product.
        var gathered = 0
        for (segment, start) in zip(segments, starts) where segment.wantsLogits {
            (lastRows.pointer + gathered * c).update(from: x + (start + segment.tokens.count - 1) * c, count: c)
            gathered += 1
        }
        LayerNorm.forward(out: lastRows.pointer, mean: nil, rstd: nil, input: lastRows.pointer,
                          weight: p + model.layout.lnFinalWeight, bias: p + model.layout.lnFinalBias,
                          rows: logitRows, channels: c, eps: config.layerNormEpsilon)
        if let shortlistHead, compactRows {
            shortlistHead.products.apply(rows: logitRows, input: lastRows.pointer, output: shortlistLogits.pointer)
        } else if let shortlistHead {
            shortlistHead.applyShortlisted(rows: logitRows, input: lastRows.pointer, scratch: shortlistLogits.pointer,
                                           output: logits.pointer)
        } else {
            weights.head.apply(rows: logitRows, input: lastRows.pointer, output: logits.pointer)
        }
    }

    /// The logits of the last `run`'s `index`-th wanting segment (valid until the next `run`):
    /// compact `[S]` with the shortlist as id map when `compactRows` and the head is shortlisted,
    /// else the whole `[V]`.
    func row(_ index: Int) -> LogitRow {
        if compactRows, let shortlistHead {
            let count = shortlistHead.shortlistCount
            return LogitRow(compact: UnsafeMutableBufferPointer(start: shortlistLogits.pointer + index * count, count: count),
                            shortlist: shortlistHead.shortlist)
        }
        return LogitRow(full: UnsafeMutableBufferPointer(start: logits.pointer + index * config.vocabSize, count: config.vocabSize))
    }

    /// Appends every segment's new keys and values to its cache in block `layer`, then attends
    /// each new query to its own sequence's cached positions up to its own. The (segment, head)
    /// pairs are independent and spread over the cores.
    private func attend(layer: Int, segments: [Segment], starts: [Int]) {
        let c = config.embeddingSize, heads = config.headCount, headSize = config.headSize
        let qkv = qkv.pointer, out = attentionOut.pointer
        let contextLength = config.contextLength, headStride = contextLength * headSize
        for (segment, start) in zip(segments, starts) {
            let k = segment.cache.keys[layer].pointer, v = segment.cache.values[layer].pointer
            for i in 0..<segment.tokens.count {
                let position = segment.cache.position + i, source = qkv + (start + i) * 3 * c
                for h in 0..<heads {
                    (k + h * headStride + position * headSize).update(from: source + c + h * headSize, count: headSize)
                    (v + h * headStride + position * headSize).update(from: source + 2 * c + h * headSize, count: headSize)
                }
            }
        }
        let scale = 1 / Float(headSize).squareRoot()
        // Counted in vector operations (eight lanes): one sequence's decoding row stays on this
        // thread, where waking a worker for each block's attention cost more than it saved.
        let averageCost = segments.reduce(0) { $0 + $1.tokens.count * ($1.cache.position + $1.tokens.count) } * headSize * 2
            / (8 * max(1, segments.count))
        let scoreRows = scoreRows.pointer
        // Heads go in pairs (a narrow head alone leaves the FMA units idle; see attendPair).
        let pairs = (heads + 1) / 2
        Parallel.forEachChunkIndexed(segments.count * pairs, costPerItem: 2 * averageCost) { thread, items in
            let scores = scoreRows + thread * 2 * contextLength
            for item in items {
                let segment = segments[item / pairs], h = 2 * (item % pairs)
                let keys = UnsafePointer(segment.cache.keys[layer].pointer + h * headStride)
                let values = UnsafePointer(segment.cache.values[layer].pointer + h * headStride)
                for i in 0..<segment.tokens.count {
                    let row = starts[item / pairs] + i, visible = segment.cache.position + i + 1
                    let query = UnsafePointer(qkv + row * 3 * c + h * headSize), output = out + row * c + h * headSize
                    if h + 1 < heads {
                        CachedAttention.attendPair(queries: (query, query + headSize), keys: (keys, keys + headStride),
                                                   values: (values, values + headStride), stride: headSize, count: visible,
                                                   width: headSize, scale: scale, scores: scores, into: (output, output + headSize))
                    } else {
                        CachedAttention.attend(query: query, keys: keys, values: values, stride: headSize, count: visible,
                                               width: headSize, scale: scale, scores: scores, into: output)
                    }
                }
            }
        }
    }
}
