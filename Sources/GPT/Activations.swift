import Tensor

/// Everything the backward pass needs from the forward pass, for one batch shape `[B, T]`,
/// allocated once and reused across steps. The GELU output is not kept: the backward pass
/// recomputes it (as llm.c does), which saves `L·B·T·4C` floats for one cheap pass.
final class Activations {
    let batchSize: Int
    let length: Int
    let rows: Int  // B·T

    /// Per block, the inputs of each sub-layer.
    struct Block {
        let input: FloatBuffer           // residual stream entering the block [B, T, C]
        let ln1: FloatBuffer             // [B, T, C]
        let ln1Mean, ln1Rstd: FloatBuffer  // [B, T]
        let qkv: FloatBuffer             // [B, T, 3C]
        let attentionProbs: FloatBuffer  // [B, H, ≤T·T]: causal row blocks, see Attention
        let attentionOut: FloatBuffer    // heads concatenated, before c_proj [B, T, C]
        let afterAttention: FloatBuffer  // residual after the attention branch [B, T, C]
        let ln2: FloatBuffer
        let ln2Mean, ln2Rstd: FloatBuffer
        let fc: FloatBuffer              // c_fc output before GELU [B, T, 4C]
    }

    let blocks: [Block]
    let output: FloatBuffer              // residual stream after the last block [B, T, C]
    let lnFinal: FloatBuffer             // [B, T, C]
    let lnFinalMean, lnFinalRstd: FloatBuffer
    let tokens: UnsafeMutablePointer<Int32>   // [B, T]
    let targets: UnsafeMutablePointer<Int32>  // [B, T]
    /// The masks of the batch in flight while training with dropout, nil otherwise.
    var dropout: BatchDropout?
    /// A residual branch's output before it joins the stream [B, T, C]; in backward, its gradient.
    let branch: FloatBuffer

    // Scratch for the backward pass, shared by every block.
    let gradResidual: FloatBuffer        // [B, T, C]
    let gradNormed: FloatBuffer          // d(ln1 or ln2 output) [B, T, C]
    let gradAttentionOut: FloatBuffer    // [B, T, C]
    let gradQKV: FloatBuffer             // [B, T, 3C]
    let gradFC: FloatBuffer              // [B, T, 4C]
    let geluOut: FloatBuffer             // recomputed GELU output [B, T, 4C]
    let gradGelu: FloatBuffer            // [B, T, 4C]
    let gradAttentionProbs: FloatBuffer  // one row block's dP [≤128, T]
    let droppedProbabilities: FloatBuffer  // one row block's P after dropout [≤128, T]
    /// Logits of a chunk of rows; the LM head never holds all `B·T·V` at once when training.
    let logitsChunk: FloatBuffer
    let logitsChunkRows: Int

    init(config: GPTConfig, batchSize: Int, length: Int) {
        self.batchSize = batchSize
        self.length = length
        rows = batchSize * length
        let c = config.embeddingSize
        let h = config.headCount
        blocks = (0..<config.layerCount).map { _ in
            Block(
                input: FloatBuffer(count: batchSize * length * c),
                ln1: FloatBuffer(count: batchSize * length * c),
                ln1Mean: FloatBuffer(count: batchSize * length),
                ln1Rstd: FloatBuffer(count: batchSize * length),
                qkv: FloatBuffer(count: batchSize * length * 3 * c),
                attentionProbs: FloatBuffer(count: batchSize * h * Attention.probabilityCount(length: length)),
                attentionOut: FloatBuffer(count: batchSize * length * c),
                afterAttention: FloatBuffer(count: batchSize * length * c),
                ln2: FloatBuffer(count: batchSize * length * c),
                ln2Mean: FloatBuffer(count: batchSize * length),
                ln2Rstd: FloatBuffer(count: batchSize * length),
                fc: FloatBuffer(count: batchSize * length * 4 * c))
        }
        let n = batchSize * length
        output = FloatBuffer(count: n * c)
        lnFinal = FloatBuffer(count: n * c)
        lnFinalMean = FloatBuffer(count: n)
        lnFinalRstd = FloatBuffer(count: n)
        tokens = .allocate(capacity: n)
        tokens.initialize(repeating: 0, count: n)
        targets = .allocate(capacity: n)
        targets.initialize(repeating: CrossEntropy.ignoreIndex, count: n)
        gradResidual = FloatBuffer(count: n * c)
        gradNormed = FloatBuffer(count: n * c)
        gradAttentionOut = FloatBuffer(count: n * c)
        gradQKV = FloatBuffer(count: n * 3 * c)
        gradFC = FloatBuffer(count: n * 4 * c)
        geluOut = FloatBuffer(count: n * 4 * c)
        gradGelu = FloatBuffer(count: n * 4 * c)
        gradAttentionProbs = FloatBuffer(count: min(length, Attention.blockRows) * length)
        droppedProbabilities = FloatBuffer(count: min(length, Attention.blockRows) * length)
        branch = FloatBuffer(count: n * c)
        // Up to 256 MB of logits at a time (1,335 rows of GPT-2's vocabulary): the head's
        // weight-gradient GEMM re-reads and re-writes all of d(wte) once per chunk, so chunks
        // must be long for it to run near peak; PyTorch holds all B·T rows, twice.
        logitsChunkRows = max(1, min(n, 67_108_864 / max(1, config.vocabSize)))
        logitsChunk = FloatBuffer(count: logitsChunkRows * config.vocabSize)
    }

    deinit {
        tokens.deallocate()
        targets.deallocate()
    }
}
