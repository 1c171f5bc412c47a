import Tensor

/// The whole model, forward and backward: embeddings → blocks → ln_f → tied LM head → loss.
extension GPTModel {
    /// Why `tokens` of this shape cannot go through the model, or nil.
    func shapeProblem(batchSize: Int, length: Int, tokens: UnsafeBufferPointer<Int32>) -> String? {
        if batchSize < 1 || length < 1 { return "a batch needs at least one sequence of one token" }
        if length > config.contextLength {
            return "sequence length \(length) exceeds the model's context of \(config.contextLength) (n_positions)"
        }
        if tokens.count != batchSize * length { return "expected \(batchSize * length) token ids, got \(tokens.count)" }
        if let bad = tokens.firstIndex(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            return "token id \(tokens[bad]) at position \(bad) is outside the vocabulary (size \(config.vocabSize))"
        }
        return nil
    }

    func prepareActivations(batchSize: Int, length: Int) -> Activations {
        if let current = activations, current.batchSize == batchSize, current.length == length {
            return current
        }
        activations = nil  // free the old shape before allocating the new one
        let fresh = Activations(config: config, batchSize: batchSize, length: length)
        activations = fresh
        return fresh
    }

    /// Embeddings and every block; leaves the final LayerNorm output in `lnFinal`. `dropout`
    /// (training only) masks the embeddings, attention probabilities and residual branches.
    func forwardTrunk(tokens: [Int32], batchSize: Int, length: Int, dropout: BatchDropout? = nil) throws -> Activations {
        if let problem = tokens.withUnsafeBufferPointer({ shapeProblem(batchSize: batchSize, length: length, tokens: $0) }) {
            throw GPTError.invalidInput(problem)
        }
        let act = prepareActivations(batchSize: batchSize, length: length)
        act.dropout = dropout
        let c = config.embeddingSize
        let n = batchSize * length
        tokens.withUnsafeBufferPointer { act.tokens.update(from: $0.baseAddress!, count: n) }

        // x[b, t] = wte[token] + wpe[t]
        let x = act.blocks[0].input.pointer
        Embedding.forward(out: x, table: weight(layout.tokenEmbedding), indices: act.tokens, rows: n, channels: c)
        let wpe = weight(layout.positionEmbedding)
        for b in 0..<batchSize {
            Elementwise.accumulate(into: x + b * length * c, from: wpe, count: length * c)
        }
        dropout?.mask(layer: 0, .embedding).apply(x, into: x, rows: n, columns: c)
        for l in 0..<config.layerCount {
            let output = l + 1 < config.layerCount ? act.blocks[l + 1].input.pointer : act.output.pointer
            blockForward(l, saved: act.blocks[l], output: output, rows: n, batchSize: batchSize, length: length)
        }
        LayerNorm.forward(out: act.lnFinal.pointer, mean: act.lnFinalMean.pointer, rstd: act.lnFinalRstd.pointer,
                          input: act.output.pointer, weight: weight(layout.lnFinalWeight), bias: weight(layout.lnFinalBias),
                          rows: n, channels: c, eps: config.layerNormEpsilon)
        return act
    }

    /// Logits `[B, T, V]` for a batch of token ids `[B, T]` (row-major).
    public func logits(tokens: [Int32], batchSize: Int, length: Int) throws -> Tensor {
        let act = try forwardTrunk(tokens: tokens, batchSize: batchSize, length: length)
        let v = config.vocabSize
        var out = Tensor(zeros: [batchSize, length, v])
        out.withMutablePointer { logits in
            Matmul.gemm(transposeB: true, m: act.rows, n: v, k: config.embeddingSize,
                        a: act.lnFinal.pointer, b: weight(layout.tokenEmbedding), c: logits)
        }
        return out
    }

    /// Mean cross-entropy of predicting `targets` from `tokens` (both `[B, T]`); targets equal
    /// to `CrossEntropy.ignoreIndex` are not scored. No gradients.
    public func loss(tokens: [Int32], targets: [Int32], batchSize: Int, length: Int) throws -> Float {
        let (sum, count) = try lossSum(tokens: tokens, targets: targets, batchSize: batchSize, length: length)
        return count == 0 ? 0 : Float(sum / Double(count))
    }

    /// Σ cross-entropy and the number of scored targets (for perplexity over many windows).
    public func lossSum(tokens: [Int32], targets: [Int32], batchSize: Int, length: Int) throws -> (sum: Double, count: Int) {
        try checkTargets(targets, count: batchSize * length)
        let act = try forwardTrunk(tokens: tokens, batchSize: batchSize, length: length)
        targets.withUnsafeBufferPointer { act.targets.update(from: $0.baseAddress!, count: act.rows) }
        return languageModelHead(act, gradientScale: nil, grads: nil)
    }

    /// Forward and backward for one batch: returns the mean loss and accumulates into
    /// `gradients` the gradient of `lossScale ×` that mean (use 1/accumulationSteps when
    /// accumulating micro-batches). Call `zeroGradients()` before the first micro-batch.
    /// `shard` places the batch in a data-parallel global batch (its dropout masks); nil = whole.
    @discardableResult
    public func forwardBackward(tokens: [Int32], targets: [Int32], batchSize: Int, length: Int,
                                lossScale: Float = 1, shard: BatchShard? = nil) throws -> Float {
        try checkTargets(targets, count: batchSize * length)
        if frozenProjectionWeights != nil, !isFrozen {
            throw GPTError.invalidConfig("a model whose projections are int8 can only be trained frozen (under adapters)")
        }
        guard dropout >= 0, dropout < 1 else {
            throw GPTError.invalidConfig("dropout must be in [0, 1) (got \(dropout))")
        }
        if gradients == nil { zeroGradients() }
        let grads: UnsafeMutablePointer<Float>? = isFrozen ? nil : gradients!.pointer
        let masks = dropout > 0 ? BatchDropout(probability: dropout, dropoutSeed: dropoutSeed, shard: shard ?? .whole(tokens),
                                               length: length, heads: config.headCount) : nil
        let act = try forwardTrunk(tokens: tokens, batchSize: batchSize, length: length, dropout: masks)
        targets.withUnsafeBufferPointer { act.targets.update(from: $0.baseAddress!, count: act.rows) }
        let scored = targets.reduce(0) { $0 + ($1 == CrossEntropy.ignoreIndex ? 0 : 1) }
        guard scored > 0 else { return 0 }

        let c = config.embeddingSize
        let n = act.rows
        act.gradResidual.zero()
        // The head writes d(lnFinal) into gradNormed; ln_f's backward turns it into d(output).
        act.gradNormed.zero()
        let (sum, count) = languageModelHead(act, gradientScale: lossScale / Float(scored), grads: grads)
        LayerNorm.backward(dInput: act.gradResidual.pointer, dWeight: grads.map { $0 + layout.lnFinalWeight },
                           dBias: grads.map { $0 + layout.lnFinalBias }, dOut: act.gradNormed.pointer, input: act.output.pointer,
                           weight: weight(layout.lnFinalWeight), mean: act.lnFinalMean.pointer,
                           rstd: act.lnFinalRstd.pointer, rows: n, channels: c)
        for l in stride(from: config.layerCount - 1, through: 0, by: -1) {
            blockBackward(l, saved: act.blocks[l], scratch: act, grads: grads, rows: n,
                          batchSize: batchSize, length: length)
        }
        guard let grads else { return Float(sum / Double(count)) }
        let dx = act.gradResidual.pointer
        masks?.mask(layer: 0, .embedding).apply(dx, into: dx, rows: n, columns: c)
        Embedding.backward(dTable: grads + layout.tokenEmbedding, dOut: dx, indices: act.tokens, rows: n, channels: c)
        let dwpe = grads + layout.positionEmbedding
        for b in 0..<batchSize {
            Elementwise.accumulate(into: dwpe, from: dx + b * act.length * c, count: act.length * c)
        }
        return Float(sum / Double(count))
    }

    /// The tied LM head and the loss, a chunk of rows at a time so the `[B·T, V]` logits are
    /// never all in memory. With a `gradientScale` it also back-propagates: d(lnFinal) goes to
    /// `gradNormed`, and the head's share of the embedding gradient to `grads`.
    ///
    /// A row whose target is ignored adds no loss and no gradient, so only scored rows go through
    /// the head: in a prompt/completion batch that is the completions, a fifth of the rows, and
    /// the `[rows, V]` products are most of a small model's work.
    func languageModelHead(_ act: Activations, gradientScale: Float?, grads: UnsafeMutablePointer<Float>?) -> (sum: Double, count: Int) {
        // With a scale but no gradient buffer (a frozen base) only d(lnFinal) is computed.
        let c = config.embeddingSize
        let v = config.vocabSize
        let wte = weight(layout.tokenEmbedding)
        let scoredRows = (0..<act.rows).filter { act.targets[$0] != CrossEntropy.ignoreIndex }
        let gathered = scoredRows.count < act.rows ? GatheredHeadRows(rows: min(act.logitsChunkRows, max(1, scoredRows.count)), channels: c) : nil
        let headRows = gathered == nil ? act.rows : scoredRows.count
        var total = 0.0
        var scored = 0
        var start = 0
        while start < headRows {
            let rows = min(act.logitsChunkRows, headRows - start)
            let input: UnsafeMutablePointer<Float>
            let targets: UnsafeMutablePointer<Int32>
            if let gathered {
                for (i, row) in scoredRows[start..<(start + rows)].enumerated() {
                    (gathered.input.pointer + i * c).update(from: act.lnFinal.pointer + row * c, count: c)
                    gathered.targets[i] = act.targets[row]
                }
                input = gathered.input.pointer
                targets = gathered.targets
            } else {
                input = act.lnFinal.pointer + start * c
                targets = act.targets + start
            }
            let logits = act.logitsChunk.pointer
            Matmul.gemm(transposeB: true, m: rows, n: v, k: c, a: input, b: wte, c: logits)
            let result: (sum: Double, count: Int)
            if let gradientScale {
                result = CrossEntropy.forwardBackward(logitsToGradients: logits, losses: nil,
                                                      targets: targets, rows: rows, vocab: v,
                                                      gradientScale: gradientScale)
                // d(lnFinal) [rows, C] = dLogits · wte ;  d(wte) [V, C] += dLogitsᵀ · lnFinal
                if let gathered {
                    Matmul.gemm(m: rows, n: c, k: v, a: logits, b: wte, c: gathered.gradient.pointer)
                    for (i, row) in scoredRows[start..<(start + rows)].enumerated() {
                        Elementwise.accumulate(into: act.gradNormed.pointer + row * c, from: gathered.gradient.pointer + i * c, count: c)
                    }
                } else {
                    Matmul.gemm(m: rows, n: c, k: v, a: logits, b: wte, beta: 1,
                                c: act.gradNormed.pointer + start * c)
                }
                if let grads {
                    Matmul.gemm(transposeA: true, m: v, n: c, k: rows, a: logits, b: input, beta: 1,
                                c: grads + layout.tokenEmbedding)
                }
            } else {
                result = CrossEntropy.forward(losses: nil, logits: logits, targets: targets,
                                              rows: rows, vocab: v)
            }
            total += result.sum
            scored += result.count
            start += rows
        }
        return (total, scored)
    }

    func checkTargets(_ targets: [Int32], count: Int) throws {
        guard targets.count == count else {
            throw GPTError.invalidInput("expected \(count) targets, got \(targets.count)")
        }
        if let bad = targets.firstIndex(where: { $0 != CrossEntropy.ignoreIndex && ($0 < 0 || Int($0) >= config.vocabSize) }) {
            throw GPTError.invalidInput("target id \(targets[bad]) at position \(bad) is outside the vocabulary (size \(config.vocabSize))")
        }
    }
}

public enum GPTError: Error, CustomStringConvertible, Equatable {
    case invalidInput(String)
    case invalidConfig(String)
    case checkpoint(String)

    public var description: String {
        switch self {
        case .invalidInput(let message), .invalidConfig(let message), .checkpoint(let message): message
        }
    }
}

/// The scored rows of one head chunk, copied together: their final-LayerNorm outputs `[rows, C]`,
/// targets `[rows]` and d(lnFinal) `[rows, C]` before it is scattered back.
private final class GatheredHeadRows {
    let input: FloatBuffer
    let gradient: FloatBuffer
    let targets: UnsafeMutablePointer<Int32>

    init(rows: Int, channels: Int) {
        input = FloatBuffer(count: rows * channels)
        gradient = FloatBuffer(count: rows * channels)
        targets = .allocate(capacity: rows)
    }

    deinit { targets.deallocate() }
}
