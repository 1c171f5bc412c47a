import Tensor

/// One linear layer of the benchmark: its float weight in the model's layout and the same
/// weight quantized, so the fp32 and int8 products of a row can be timed side by side.
struct BenchMatrix {
    let name: String
    let inFeatures: Int
    let outFeatures: Int
    let layout: QuantizedMatrix.Layout
    let weight: FloatBuffer
    let quantized: QuantizedMatrix
    /// The same weight in 4 bits (groups of 32, range scales: the speed does not depend on them).
    let fourBit: [QuantizationFormat.Scheme: Q4Matrix]

    var shape: String { "\(inFeatures)→\(outFeatures)" }
    var floatBytes: Int { inFeatures * outFeatures * MemoryLayout<Float>.size }

    init(name: String, inFeatures: Int, outFeatures: Int, layout: QuantizedMatrix.Layout, groupSize: Int, seed: UInt64) throws {
        self.name = name
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.layout = layout
        weight = FloatBuffer(count: inFeatures * outFeatures)
        var generator = SeededGenerator(seed: seed)
        // Uniform with GPT-2's std 0.02: the timings do not depend on the values, and it is
        // ten times faster to draw than a normal for the 57M weights.
        let halfWidth = Float(0.02 * 3.0.squareRoot())
        for i in 0..<weight.count { weight.pointer[i] = halfWidth * (2 * generator.nextUniform() - 1) }
        quantized = try QuantizedMatrix(quantizing: weight.pointer, inFeatures: inFeatures, outFeatures: outFeatures,
                                        layout: layout, groupSize: groupSize)
        var fourBit: [QuantizationFormat.Scheme: Q4Matrix] = [:]
        for scheme in QuantizationFormat.Scheme.allCases {
            fourBit[scheme] = try Q4Matrix(quantizing: weight.pointer, inFeatures: inFeatures, outFeatures: outFeatures,
                                           layout: layout, scheme: scheme, searchScale: false)
        }
        self.fourBit = fourBit
    }

    /// y[out] = x · W with cblas_sgemv on the float weight, as the float decoding path does.
    func floatVector(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        if layout == .conv1D {
            Matmul.gemv(transpose: true, rows: inFeatures, columns: outFeatures, a: weight.pointer, x: x, y: y)
        } else {
            Matmul.gemv(rows: outFeatures, columns: inFeatures, a: weight.pointer, x: x, y: y)
        }
    }

    /// y[n, out] = x[n, in] · W with cblas_sgemm on the float weight, as the float prefill does.
    func floatRows(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        Matmul.gemm(transposeB: layout == .rowsAreOutputs, m: n, n: outFeatures, k: inFeatures,
                    a: x, b: weight.pointer, c: y)
    }

    /// The slm60m matrices a decode step multiplies with, in the order it does: 10 layers of
    /// c_attn, attn.c_proj, c_fc, mlp.c_proj, then the tied LM head.
    static func slm60m(groupSize: Int) throws -> [BenchMatrix] {
        let c = 512, layers = 10, vocab = 50257
        var matrices = [BenchMatrix]()
        for layer in 0..<layers {
            let seed = UInt64(layer * 4)
            matrices.append(try BenchMatrix(name: "c_attn", inFeatures: c, outFeatures: 3 * c, layout: .conv1D, groupSize: groupSize, seed: seed))
            matrices.append(try BenchMatrix(name: "attn.c_proj", inFeatures: c, outFeatures: c, layout: .conv1D, groupSize: groupSize, seed: seed + 1))
            matrices.append(try BenchMatrix(name: "c_fc", inFeatures: c, outFeatures: 4 * c, layout: .conv1D, groupSize: groupSize, seed: seed + 2))
            matrices.append(try BenchMatrix(name: "mlp.c_proj", inFeatures: 4 * c, outFeatures: c, layout: .conv1D, groupSize: groupSize, seed: seed + 3))
        }
        matrices.append(try BenchMatrix(name: "LM head (wte)", inFeatures: c, outFeatures: vocab, layout: .rowsAreOutputs,
                                        groupSize: groupSize, seed: 1000))
        return matrices
    }
}
