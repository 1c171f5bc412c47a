/// The four linear projections of a block, by their GPT-2 names.
public enum Projection: String, CaseIterable, Sendable {
    case attention = "attn.c_attn"
    case attentionProjection = "attn.c_proj"
    case fc = "mlp.c_fc"
    case fcProjection = "mlp.c_proj"
}

/// Something added to a block's projections during training, such as LoRA adapters: the model
/// calls it after each projection's forward and beside each projection's backward.
public protocol ProjectionAdapter: AnyObject {
    /// output[rows, out] += Δ(input[rows, in]) for `projection` of block `layer`.
    func forward(layer: Int, projection: Projection, input: UnsafePointer<Float>,
                 output: UnsafeMutablePointer<Float>, rows: Int)
    /// Accumulates the adapter's own gradients and adds its share of d(input) to `dInput`.
    func backward(layer: Int, projection: Projection, input: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                  dInput: UnsafeMutablePointer<Float>, rows: Int)
}

/// A frozen model's projection weights kept somewhere other than its float parameters (an int8
/// base under LoRA, QLoRA-style): the training forward and backward multiply through it.
public protocol FrozenProjectionWeights: AnyObject {
    /// output[rows, out] += input[rows, in] · W for `projection` of block `layer`.
    func accumulateProduct(layer: Int, projection: Projection, input: UnsafePointer<Float>,
                           output: UnsafeMutablePointer<Float>, rows: Int)
    /// dInput[rows, in] += dOut[rows, out] · Wᵀ.
    func accumulateInputGradient(layer: Int, projection: Projection, dOut: UnsafePointer<Float>,
                                 dInput: UnsafeMutablePointer<Float>, rows: Int)
}
