import Tensor

/// y = x·W + b for a batch of rows: how inference sees a projection, whatever stores it
/// (float weights, int8 weights, or either with a LoRA adapter on top).
public protocol LinearOperator: Sendable {
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    /// output[rows, out] = input[rows, in] · W (+ bias). One row is the decoding case.
    func apply(rows: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>)
}

/// Float weights read in place from a model's parameter buffer: GEMM for a batch of rows,
/// GEMV for one.
public struct FloatLinear: LinearOperator, @unchecked Sendable {
    public let weight: UnsafePointer<Float>
    public let bias: UnsafePointer<Float>?
    public let inFeatures: Int
    public let outFeatures: Int
    /// False for GPT-2's Conv1D layout `[in, out]`; true for `[out, in]` (the tied LM head,
    /// which is the token embedding `[V, C]`).
    public let rowsAreOutputs: Bool

    public init(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, inFeatures: Int, outFeatures: Int,
                rowsAreOutputs: Bool = false) {
        self.weight = weight
        self.bias = bias
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.rowsAreOutputs = rowsAreOutputs
    }

    public func apply(rows: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        if rows == 1 {
            if let bias { output.update(from: bias, count: outFeatures) }
            if rowsAreOutputs {
                Matmul.gemv(rows: outFeatures, columns: inFeatures, a: weight, x: input,
                            beta: bias == nil ? 0 : 1, y: output)
            } else {
                Matmul.gemv(transpose: true, rows: inFeatures, columns: outFeatures, a: weight, x: input,
                            beta: bias == nil ? 0 : 1, y: output)
            }
            return
        }
        if rowsAreOutputs {
            Matmul.gemm(transposeB: true, m: rows, n: outFeatures, k: inFeatures, a: input, b: weight, c: output)
            if let bias { addRows(output, bias, rows: rows, columns: outFeatures) }
        } else {
            Linear.forward(out: output, input: input, weight: weight, bias: bias,
                           rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        }
    }
}

/// x[r, :] += v for every row.
func addRows(_ x: UnsafeMutablePointer<Float>, _ v: UnsafePointer<Float>, rows: Int, columns: Int) {
    for r in 0..<rows {
        let row = x + r * columns
        for j in 0..<columns { row[j] += v[j] }
    }
}
