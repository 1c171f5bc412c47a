import Tensor

/// One rank's share of a global micro-batch: rank r of N takes the global batch's sequences
/// `r·B..<(r+1)·B`, so N ranks together see exactly the batch one process would draw.
struct BatchShare {
    /// `[B, T]` each.
    let inputs: [Int32]
    let targets: [Int32]
    let shard: BatchShard
    /// This share's scored targets over the global batch's: the weight of its mean loss (and
    /// of its gradient) in the global batch's mean, so the ranks' weighted sums are the mean
    /// one process computes even when some targets are ignored (prompt tokens in fine-tuning).
    let lossWeight: Float

    /// `batch` is the global micro-batch, `[size·sequences, length]`.
    init(of batch: (inputs: [Int32], targets: [Int32]), rank: Int, size: Int, sequences: Int, length: Int) {
        let range = rank * sequences * length..<(rank + 1) * sequences * length
        inputs = size == 1 ? batch.inputs : Array(batch.inputs[range])
        targets = size == 1 ? batch.targets : Array(batch.targets[range])
        shard = BatchShard(globalTokens: batch.inputs, firstSequence: rank * sequences)
        if size == 1 {
            lossWeight = 1
        } else {
            let scored = { (targets: ArraySlice<Int32>) in targets.reduce(0) { $0 + ($1 == CrossEntropy.ignoreIndex ? 0 : 1) } }
            let global = scored(batch.targets[...])
            lossWeight = global == 0 ? 0 : Float(scored(targets[...])) / Float(global)
        }
    }
}
