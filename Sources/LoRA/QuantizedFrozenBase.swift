#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GPT
import Tensor

/// A frozen base whose block projections are quantized, int8 or 4-bit (QLoRA's setting): each
/// projection is dequantized into one reused float tile just before its product, forward and
/// backward. The float copies in the model's parameter buffer are handed back to the operating
/// system, so the base's projections cost about a byte (int8) or 0.6 byte (4-bit) per weight
/// instead of four. Embeddings, LayerNorms and biases stay float.
public final class QuantizedFrozenBase: FrozenProjectionWeights, @unchecked Sendable {
    /// matrices[layer][projection], stored by output channel.
    let matrices: [[Projection: any QuantizedWeight]]
    /// One projection's weight as floats, [out, in] (Wᵀ in Conv1D terms).
    let tile: FloatBuffer

    /// Quantizes `model`'s block projections, attaches them (the model becomes frozen) and
    /// releases the float weights they came from: afterwards `model.parameters` no longer holds
    /// those weights, so the model must not be saved, merged into or used for inference.
    public init(quantizing model: GPTModel, format: QuantizationFormat = .int8) throws {
        let c = model.config.embeddingSize
        var matrices: [[Projection: any QuantizedWeight]] = []
        for block in model.layout.blocks {
            var layer: [Projection: any QuantizedWeight] = [:]
            for projection in Projection.allCases {
                let (inFeatures, outFeatures) = LoRAAdapter.features(of: projection, channels: c)
                layer[projection] = try format.quantize(
                    model.parameters.pointer + block.weight(of: projection),
                    inFeatures: inFeatures, outFeatures: outFeatures, layout: .conv1D)
            }
            matrices.append(layer)
        }
        self.matrices = matrices
        tile = FloatBuffer(count: 4 * c * c)
        for block in model.layout.blocks {
            for projection in Projection.allCases {
                let (inFeatures, outFeatures) = LoRAAdapter.features(of: projection, channels: c)
                Self.release(model.parameters.pointer + block.weight(of: projection), count: inFeatures * outFeatures)
            }
        }
        model.isFrozen = true
        model.frozenProjectionWeights = self
    }

    /// Bytes of the quantized codes, scales and minimums.
    public var byteCount: Int { matrices.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.byteCount } } }

    /// Returns the whole pages inside [pointer, pointer + count) to the system (they read as
    /// zero if touched again), which is what makes the quantized base smaller in resident memory.
    static func release(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: pointer) + page - 1) / page * page
        let end = (Int(bitPattern: pointer + count)) / page * page
        guard end > start, let address = UnsafeMutableRawPointer(bitPattern: start) else { return }
        madvise(address, end - start, Int32(MADV_DONTNEED))
    }

    /// The projection's weight into `tile` as [out, in].
    func dequantize(_ matrix: any QuantizedWeight) {
        let tile = self.tile.pointer, columns = matrix.columns
        Parallel.forEachChunk(matrix.rows, costPerItem: columns) { rows in
            for r in rows { matrix.dequantizeRow(r, into: tile + r * columns) }
        }
    }

    public func accumulateProduct(layer: Int, projection: Projection, input: UnsafePointer<Float>,
                                  output: UnsafeMutablePointer<Float>, rows: Int) {
        guard let matrix = matrices[layer][projection] else { return }
        dequantize(matrix)
        // output [rows, out] += input [rows, in] · tileᵀ
        Matmul.gemm(transposeB: true, m: rows, n: matrix.rows, k: matrix.columns, a: input, b: tile.pointer,
                    beta: 1, c: output)
    }

    public func accumulateInputGradient(layer: Int, projection: Projection, dOut: UnsafePointer<Float>,
                                        dInput: UnsafeMutablePointer<Float>, rows: Int) {
        guard let matrix = matrices[layer][projection] else { return }
        dequantize(matrix)
        // dInput [rows, in] += dOut [rows, out] · tile [out, in]
        Matmul.gemm(m: rows, n: matrix.columns, k: matrix.rows, a: dOut, b: tile.pointer, beta: 1, c: dInput)
    }
}
