/// A fully connected layer in GPT-2's Conv1D layout: weight [in, out], so y = x · W + b.
public enum Linear {
    /// out[N, OC] = input[N, C] · weight[C, OC] + bias[OC]
    public static func forward(
        out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        rows: Int, inFeatures: Int, outFeatures: Int
    ) {
        if let bias {
            // Broadcasting the bias first lets the GEMM accumulate onto it (beta = 1),
            // which saves a second pass over the output.
            Parallel.forEachChunk(rows, costPerItem: outFeatures) { range in
                for r in range { (out + r * outFeatures).update(from: bias, count: outFeatures) }
            }
        }
        Matmul.gemm(m: rows, n: outFeatures, k: inFeatures,
                    a: input, b: weight, beta: bias == nil ? 0 : 1, c: out)
    }

    /// out[N, OC] = input[N, C] · weight[OC, C]ᵀ + bias[OC], for weights in PyTorch's `nn.Linear`
    /// layout (BERT and most Hugging Face checkpoints): the GEMM reads them transposed, in place;
    /// a few rows go through `SkinnyMatmul` instead.
    public static func forward(
        out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        outInWeight weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        rows: Int, inFeatures: Int, outFeatures: Int
    ) {
        if rows <= SkinnyMatmul.maximumRows {
            SkinnyMatmul.multiply(out: out, a: input, b: weight, bias: bias, rows: rows, inner: inFeatures, columns: outFeatures)
            return
        }
        if let bias {
            Parallel.forEachChunk(rows, costPerItem: outFeatures) { range in
                for r in range { (out + r * outFeatures).update(from: bias, count: outFeatures) }
            }
        }
        Matmul.gemm(transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                    a: input, b: weight, beta: bias == nil ? 0 : 1, c: out)
    }

    /// Accumulates dInput += dOut · Wᵀ, dWeight += inputᵀ · dOut, dBias += Σ_rows dOut.
    /// Any gradient may be nil when it is not needed (a frozen weight, the first layer's input).
    public static func backward(
        dInput: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?,
        dBias: UnsafeMutablePointer<Float>?,
        dOut: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        rows: Int, inFeatures: Int, outFeatures: Int
    ) {
        if let dInput {
            Matmul.gemm(transposeB: true, m: rows, n: inFeatures, k: outFeatures,
                        a: dOut, b: weight, beta: 1, c: dInput)
        }
        if let dWeight {
            Matmul.gemm(transposeA: true, m: inFeatures, n: outFeatures, k: rows,
                        a: input, b: dOut, beta: 1, c: dWeight)
        }
        if let dBias {
            columnSums(dOut, rows: rows, columns: outFeatures, accumulateInto: dBias)
        }
    }

    /// into[j] += Σ_i matrix[i, j], split over rows with per-thread partial sums.
    public static func columnSums(
        _ matrix: UnsafePointer<Float>, rows: Int, columns: Int, accumulateInto into: UnsafeMutablePointer<Float>
    ) {
        let partials = FloatBuffer(count: Parallel.coreCount * columns)
        let used = Parallel.forEachChunkIndexed(rows, costPerItem: columns) { chunk, range in
            let partial = partials.pointer + chunk * columns
            for r in range {
                let row = matrix + r * columns
                for j in 0..<columns { partial[j] += row[j] }
            }
        }
        for chunk in 0..<used {
            let partial = partials.pointer + chunk * columns
            for j in 0..<columns { into[j] += partial[j] }
        }
    }
}
