import CBLAS
import Tensor

/// One matrix product measured through the Tensor API and through `cblas_sgemm` directly,
/// on the same buffers in the same run.
struct GemmResult {
    let name: String
    let shape: String
    let flops: Double
    let apiSeconds: Double
    let rawSeconds: Double

    var apiGFlops: Double { flops / apiSeconds * 1e-9 }
    var rawGFlops: Double { flops / rawSeconds * 1e-9 }
    var ratio: Double { rawSeconds / apiSeconds }
}

/// Raw row-major `cblas_sgemm`, the baseline every Tensor API product is compared with.
func rawSgemm(
    transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The matrix products of one slm60m training step (C = 512, 8 heads of 64, T = 512, V = 50257).
struct GemmBenchmarks {
    let rows: Int
    let lmHeadRows: Int
    let attentionHeads: Int
    let stopwatch: Stopwatch
    let channels = 512, heads = 8, length = 512, vocab = 50257

    func run() -> [GemmResult] {
        var results = [GemmResult]()
        for (name, inFeatures, outFeatures) in [
            ("attn c_attn", channels, 3 * channels), ("attn c_proj", channels, channels),
            ("mlp c_fc", channels, 4 * channels), ("mlp c_proj", 4 * channels, channels),
        ] {
            results += linear(name, inFeatures: inFeatures, outFeatures: outFeatures)
        }
        results += languageModelHead()
        results += batchedAttention()
        results += stridedAttention()
        return results
    }

    /// Linear.forward (bias included) and each product of Linear.backward on its own.
    func linear(_ name: String, inFeatures: Int, outFeatures: Int) -> [GemmResult] {
        let n = rows
        let input = randomBuffer(n * inFeatures, seed: 1), weight = randomBuffer(inFeatures * outFeatures, scale: 0.05, seed: 2)
        let bias = randomBuffer(outFeatures, seed: 3), dOut = randomBuffer(n * outFeatures, scale: 0.01, seed: 4)
        let out = FloatBuffer(count: n * outFeatures)
        let dInput = FloatBuffer(count: n * inFeatures), dWeight = FloatBuffer(count: inFeatures * outFeatures)
        let flops = 2 * Double(n) * Double(inFeatures) * Double(outFeatures)
        let shape = "\(n)×\(inFeatures)→\(outFeatures)"

        let forward = stopwatch.secondsSideBySide({
            Linear.forward(out: out.pointer, input: input.pointer, weight: weight.pointer, bias: bias.pointer,
                           rows: n, inFeatures: inFeatures, outFeatures: outFeatures)
        }, {
            // Linear.forward's GEMM accumulates onto the broadcast bias; the raw call does the same product.
            rawSgemm(m: n, n: outFeatures, k: inFeatures, a: input.pointer, lda: inFeatures,
                     b: weight.pointer, ldb: outFeatures, beta: 1, c: out.pointer, ldc: outFeatures)
        })
        let backwardInput = stopwatch.secondsSideBySide({
            Linear.backward(dInput: dInput.pointer, dWeight: nil, dBias: nil, dOut: dOut.pointer, input: input.pointer,
                            weight: weight.pointer, rows: n, inFeatures: inFeatures, outFeatures: outFeatures)
        }, {
            rawSgemm(transposeB: true, m: n, n: inFeatures, k: outFeatures, a: dOut.pointer, lda: outFeatures,
                     b: weight.pointer, ldb: outFeatures, beta: 1, c: dInput.pointer, ldc: inFeatures)
        })
        let backwardWeight = stopwatch.secondsSideBySide({
            Linear.backward(dInput: nil, dWeight: dWeight.pointer, dBias: nil, dOut: dOut.pointer, input: input.pointer,
                            weight: weight.pointer, rows: n, inFeatures: inFeatures, outFeatures: outFeatures)
        }, {
            rawSgemm(transposeA: true, m: inFeatures, n: outFeatures, k: n, a: input.pointer, lda: inFeatures,
                     b: dOut.pointer, ldb: outFeatures, beta: 1, c: dWeight.pointer, ldc: outFeatures)
        })
        return [
            GemmResult(name: "\(name) forward (+bias)", shape: shape, flops: flops,
                       apiSeconds: forward.first, rawSeconds: forward.second),
            GemmResult(name: "\(name) dInput (·Wᵀ)", shape: shape, flops: flops,
                       apiSeconds: backwardInput.first, rawSeconds: backwardInput.second),
            GemmResult(name: "\(name) dWeight (xᵀ·)", shape: shape, flops: flops,
                       apiSeconds: backwardWeight.first, rawSeconds: backwardWeight.second),
        ]
    }

    /// The tied LM head, logits = x · wteᵀ, and its two backward products, on `lmHeadRows` rows.
    func languageModelHead() -> [GemmResult] {
        let (m, c, v) = (lmHeadRows, channels, vocab)
        let input = randomBuffer(m * c, seed: 5), wte = randomBuffer(v * c, scale: 0.02, seed: 6)
        let logits = FloatBuffer(count: m * v), dInput = FloatBuffer(count: m * c), dWte = FloatBuffer(count: v * c)
        let flops = 2 * Double(m) * Double(c) * Double(v)
        let shape = "\(m)×\(c)→\(v)"
        let forward = stopwatch.secondsSideBySide({
            Matmul.gemm(transposeB: true, m: m, n: v, k: c, a: input.pointer, b: wte.pointer, c: logits.pointer)
        }, {
            rawSgemm(transposeB: true, m: m, n: v, k: c, a: input.pointer, lda: c, b: wte.pointer, ldb: c,
                     beta: 0, c: logits.pointer, ldc: v)
        })
        let backwardInput = stopwatch.secondsSideBySide({
            Matmul.gemm(m: m, n: c, k: v, a: logits.pointer, b: wte.pointer, beta: 1, c: dInput.pointer)
        }, {
            rawSgemm(m: m, n: c, k: v, a: logits.pointer, lda: v, b: wte.pointer, ldb: c, beta: 1, c: dInput.pointer, ldc: c)
        })
        let backwardWeight = stopwatch.secondsSideBySide({
            Matmul.gemm(transposeA: true, m: v, n: c, k: m, a: logits.pointer, b: input.pointer, beta: 1, c: dWte.pointer)
        }, {
            rawSgemm(transposeA: true, m: v, n: c, k: m, a: logits.pointer, lda: v, b: input.pointer, ldb: c,
                     beta: 1, c: dWte.pointer, ldc: c)
        })
        return [
            GemmResult(name: "LM head logits (·wteᵀ)", shape: shape, flops: flops,
                       apiSeconds: forward.first, rawSeconds: forward.second),
            GemmResult(name: "LM head dInput (·wte)", shape: shape, flops: flops,
                       apiSeconds: backwardInput.first, rawSeconds: backwardInput.second),
            GemmResult(name: "LM head dWte (dLogitsᵀ·)", shape: shape, flops: flops,
                       apiSeconds: backwardWeight.first, rawSeconds: backwardWeight.second),
        ]
    }

    /// Matmul.matmul on 3-D tensors [heads, T, 64] (it allocates its result, as a Tensor API
    /// does) against a loop of raw GEMMs into a preallocated buffer.
    func batchedAttention() -> [GemmResult] {
        let (b, t, d) = (attentionHeads, length, channels / heads)
        var generator = SeededGenerator(seed: 7)
        let q = Tensor.randomUniform([b, t, d], low: -1, high: 1, generator: &generator)
        let k = Tensor.randomUniform([b, t, d], low: -1, high: 1, generator: &generator)
        let probs = Tensor.randomUniform([b, t, t], low: 0, high: 0.01, generator: &generator)
        let flops = 2 * Double(b) * Double(t) * Double(t) * Double(d)
        let scoresBuffer = FloatBuffer(count: b * t * t), outBuffer = FloatBuffer(count: b * t * d)

        let scores = stopwatch.secondsSideBySide({
            _ = Matmul.matmul(q, k, transposeB: true)
        }, {
            q.withPointer { pq in
                k.withPointer { pk in
                    for h in 0..<b {
                        rawSgemm(transposeB: true, m: t, n: t, k: d, a: pq + h * t * d, lda: d, b: pk + h * t * d, ldb: d,
                                 beta: 0, c: scoresBuffer.pointer + h * t * t, ldc: t)
                    }
                }
            }
        })
        let weighted = stopwatch.secondsSideBySide({
            _ = Matmul.matmul(probs, k)
        }, {
            probs.withPointer { pp in
                k.withPointer { pk in
                    for h in 0..<b {
                        rawSgemm(m: t, n: d, k: t, a: pp + h * t * t, lda: t, b: pk + h * t * d, ldb: d,
                                 beta: 0, c: outBuffer.pointer + h * t * d, ldc: d)
                    }
                }
            }
        })
        let transposed = stopwatch.secondsSideBySide({
            _ = Matmul.matmul(probs, k, transposeA: true)
        }, {
            probs.withPointer { pp in
                k.withPointer { pk in
                    for h in 0..<b {
                        rawSgemm(transposeA: true, m: t, n: d, k: t, a: pp + h * t * t, lda: t, b: pk + h * t * d, ldb: d,
                                 beta: 0, c: outBuffer.pointer + h * t * d, ldc: d)
                    }
                }
            }
        })
        let shape = "\(b)×[\(t)×\(t)×\(d)]"
        return [
            GemmResult(name: "attn Q·Kᵀ, Tensor batched", shape: shape, flops: flops,
                       apiSeconds: scores.first, rawSeconds: scores.second),
            GemmResult(name: "attn P·V, Tensor batched", shape: shape, flops: flops,
                       apiSeconds: weighted.first, rawSeconds: weighted.second),
            GemmResult(name: "attn Pᵀ·dO, Tensor batched", shape: shape, flops: flops,
                       apiSeconds: transposed.first, rawSeconds: transposed.second),
        ]
    }

    /// The GPT attention's own path: per head, Matmul.gemm reading Q, K, V in place from the
    /// fused [T, 3C] activation (leading dimension 3C), forward then backward products.
    func stridedAttention() -> [GemmResult] {
        let (b, t, c, d) = (attentionHeads, length, channels, channels / heads)
        let sequences = max(1, b / heads)
        let qkv = randomBuffer(sequences * t * 3 * c, seed: 8)
        let probs = randomBuffer(sequences * heads * t * t, scale: 0.01, seed: 9)
        let out = FloatBuffer(count: sequences * t * c), scratch = FloatBuffer(count: t * t)
        let dQKV = FloatBuffer(count: sequences * t * 3 * c)
        let api = { (useRaw: Bool) in
            for s in 0..<sequences {
                for h in 0..<heads {
                    let q = qkv.pointer + s * t * 3 * c + h * d, k = q + c, v = q + 2 * c
                    let headProbs = probs.pointer + (s * heads + h) * t * t
                    let headOut = out.pointer + s * t * c + h * d
                    let dq = dQKV.pointer + s * t * 3 * c + h * d, dk = dq + c, dv = dq + 2 * c
                    if useRaw {
                        rawSgemm(transposeB: true, m: t, n: t, k: d, a: q, lda: 3 * c, b: k, ldb: 3 * c, beta: 0, c: headProbs, ldc: t)
                        rawSgemm(m: t, n: d, k: t, a: headProbs, lda: t, b: v, ldb: 3 * c, beta: 0, c: headOut, ldc: c)
                        rawSgemm(transposeB: true, m: t, n: t, k: d, a: headOut, lda: c, b: v, ldb: 3 * c, beta: 0, c: scratch.pointer, ldc: t)
                        rawSgemm(transposeA: true, m: t, n: d, k: t, a: headProbs, lda: t, b: headOut, ldb: c, beta: 1, c: dv, ldc: 3 * c)
                        rawSgemm(m: t, n: d, k: t, a: scratch.pointer, lda: t, b: k, ldb: 3 * c, beta: 1, c: dq, ldc: 3 * c)
                        rawSgemm(transposeA: true, m: t, n: d, k: t, a: scratch.pointer, lda: t, b: q, ldb: 3 * c, beta: 1, c: dk, ldc: 3 * c)
                    } else {
                        Matmul.gemm(transposeB: true, m: t, n: t, k: d, a: q, lda: 3 * c, b: k, ldb: 3 * c, c: headProbs)
                        Matmul.gemm(m: t, n: d, k: t, a: headProbs, b: v, ldb: 3 * c, c: headOut, ldc: c)
                        Matmul.gemm(transposeB: true, m: t, n: t, k: d, a: headOut, lda: c, b: v, ldb: 3 * c, c: scratch.pointer)
                        Matmul.gemm(transposeA: true, m: t, n: d, k: t, a: headProbs, b: headOut, ldb: c, beta: 1, c: dv, ldc: 3 * c)
                        Matmul.gemm(m: t, n: d, k: t, a: scratch.pointer, b: k, ldb: 3 * c, beta: 1, c: dq, ldc: 3 * c)
                        Matmul.gemm(transposeA: true, m: t, n: d, k: t, a: scratch.pointer, b: q, ldb: 3 * c, beta: 1, c: dk, ldc: 3 * c)
                    }
                }
            }
        }
        let times = stopwatch.secondsSideBySide({ api(false) }, { api(true) })
        let flops = 6 * 2 * Double(sequences * heads) * Double(t) * Double(t) * Double(d)
        return [GemmResult(name: "attn 6 products per head, strided", shape: "\(sequences * heads)×[\(t)×\(t)×\(d)]",
                           flops: flops, apiSeconds: times.first, rawSeconds: times.second)]
    }
}
