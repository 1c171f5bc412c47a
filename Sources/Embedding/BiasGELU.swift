import CKernels
import Tensor

/// BERT's feed-forward activation after its first projection: out = gelu(input + bias) by row, GELU
/// in its exact erf form. On AVX-512 CPUs the C kernel `finch_encoder_bias_gelu`, elsewhere
/// Tensor's `ExactGELU` (the same formula on eight lanes).
enum BiasGELU {
    /// input, out: [R, columns] (out may be input); bias: [columns]. `kernel: false` forces
    /// `ExactGELU` (for tests on a machine that has the C kernel).
    static func forward(
        out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        rows: Int, columns: Int, kernel: Bool = SkinnyMatmul.avx512Available
    ) {
        guard kernel else {
            ExactGELU.forward(out: out, input: input, bias: bias, rows: rows, columns: columns)
            return
        }
        Parallel.forEachChunk(rows, costPerItem: 12 * columns) { range in
            finch_encoder_bias_gelu(out + range.lowerBound * columns, input + range.lowerBound * columns, bias,
                                    range.count, columns)
        }
    }
}
