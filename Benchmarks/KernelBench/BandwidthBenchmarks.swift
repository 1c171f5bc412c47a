import Foundation
import Tensor

/// A memory-bound kernel: the bytes it must read and write (each counted once) over its time,
/// next to a plain memory copy timed alternately with it, so both see the same machine state.
struct BandwidthResult {
    let name: String
    let shape: String
    let bytes: Double
    let seconds: Double
    let copyBytesPerSecond: Double

    var gigabytesPerSecond: Double { bytes / seconds * 1e-9 }
    var copyGigabytesPerSecond: Double { copyBytesPerSecond * 1e-9 }
    var ratio: Double { gigabytesPerSecond / copyGigabytesPerSecond }
}

/// The non-GEMM kernels on slm60m's activation shapes, each next to a plain memory copy.
final class BandwidthBenchmarks {
    let rows: Int
    let lossRows: Int
    let attentionHeads: Int
    let stopwatch: Stopwatch
    let channels = 512, length = 512, vocab = 50257
    /// The reference copy: a buffer twice the size of the last-level cache, so it streams from memory.
    let copyCount = 16 * 1_048_576
    let copySource: FloatBuffer
    let copyTarget: FloatBuffer

    init(rows: Int, lossRows: Int, attentionHeads: Int, stopwatch: Stopwatch) {
        (self.rows, self.lossRows, self.attentionHeads, self.stopwatch) = (rows, lossRows, attentionHeads, stopwatch)
        copySource = randomBuffer(copyCount, seed: 10)
        copyTarget = FloatBuffer(count: copyCount)
    }

    var copyShape: String { "\(4 * copyCount / 1_048_576) MiB" }

    func run() -> [BandwidthResult] {
        copies() + layerNorm() + gelu() + causalSoftmax() + crossEntropy() + others()
    }

    /// memcpy on one thread, and the same copy split over every core as the kernels split theirs.
    func copyOnOneThread() {
        memcpy(copyTarget.pointer, copySource.pointer, 4 * copyCount)
    }

    func copyOnEveryCore() {
        let (source, target) = (copySource.pointer, copyTarget.pointer)
        Parallel.forEachChunk(copyCount) { range in
            memcpy(target + range.lowerBound, source + range.lowerBound, 4 * range.count)
        }
    }

    /// Times `body` alternately with both copies; the faster copy is the reference (bytes = read + written).
    func measure(
        _ name: String, _ shape: String, bytes: Double, prepare: () -> Void = {}, _ body: () -> Void
    ) -> BandwidthResult {
        let times = stopwatch.secondsInterleaved(3, prepare: prepare) { index in
            switch index {
            case 0: body()
            case 1: copyOnOneThread()
            default: copyOnEveryCore()
            }
        }
        return BandwidthResult(name: name, shape: shape, bytes: bytes, seconds: times[0],
                               copyBytesPerSecond: 8 * Double(copyCount) / min(times[1], times[2]))
    }

    func copies() -> [BandwidthResult] {
        [
            measure("memcpy, 1 thread", copyShape, bytes: 8 * Double(copyCount), copyOnOneThread),
            measure("memcpy, \(Parallel.coreCount) threads", copyShape, bytes: 8 * Double(copyCount), copyOnEveryCore),
        ]
    }

    func layerNorm() -> [BandwidthResult] {
        let (n, c) = (rows, channels)
        let input = randomBuffer(n * c, seed: 11), dOut = randomBuffer(n * c, seed: 12)
        let weight = randomBuffer(c, seed: 13), bias = randomBuffer(c, seed: 14)
        let out = FloatBuffer(count: n * c), mean = FloatBuffer(count: n), rstd = FloatBuffer(count: n)
        let dInput = FloatBuffer(count: n * c), dWeight = FloatBuffer(count: c), dBias = FloatBuffer(count: c)
        let shape = "[\(n), \(c)]"
        return [
            // Reads x; writes y, mean, rstd.
            measure("LayerNorm forward", shape, bytes: 4 * Double(2 * n * c + 2 * n)) {
                LayerNorm.forward(out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, input: input.pointer,
                                  weight: weight.pointer, bias: bias.pointer, rows: n, channels: c)
            },
            // Reads x, dOut, mean, rstd, and dInput, which it accumulates into (read + write).
            measure("LayerNorm backward", shape, bytes: 4 * Double(4 * n * c + 2 * n)) {
                LayerNorm.backward(dInput: dInput.pointer, dWeight: dWeight.pointer, dBias: dBias.pointer,
                                   dOut: dOut.pointer, input: input.pointer, weight: weight.pointer,
                                   mean: mean.pointer, rstd: rstd.pointer, rows: n, channels: c)
            },
        ]
    }

    func gelu() -> [BandwidthResult] {
        let count = rows * 4 * channels
        let input = randomBuffer(count, scale: 3, seed: 15), dOut = randomBuffer(count, seed: 16)
        let out = FloatBuffer(count: count), dInput = FloatBuffer(count: count)
        let shape = "[\(rows), \(4 * channels)]"
        return [
            measure("GELU forward", shape, bytes: 8 * Double(count)) {
                GELU.forward(out: out.pointer, input: input.pointer, count: count)
            },
            // Reads x and dOut; dInput is read and written.
            measure("GELU backward", shape, bytes: 16 * Double(count)) {
                GELU.backward(dInput: dInput.pointer, dOut: dOut.pointer, input: input.pointer, count: count)
            },
        ]
    }

    /// Per-head [T, T] attention scores, scale 1/√64, as the attention layer calls it.
    func causalSoftmax() -> [BandwidthResult] {
        let (heads, t) = (attentionHeads, length)
        let scores = randomBuffer(heads * t * t, scale: 4, seed: 17), dProbs = randomBuffer(heads * t * t, seed: 18)
        let probs = FloatBuffer(count: heads * t * t), dScores = FloatBuffer(count: heads * t * t)
        // Only the causal half (T(T+1)/2 per head) is read; every entry is written (masked ones as 0).
        let visible = Double(heads * t * (t + 1) / 2), all = Double(heads * t * t)
        let shape = "\(heads)×[\(t), \(t)]"
        return [
            measure("causal softmax forward", shape, bytes: 4 * (visible + all)) {
                for h in 0..<heads {
                    Softmax.causalForward(probs: probs.pointer + h * t * t, scores: scores.pointer + h * t * t,
                                          rows: t, columns: t, scale: 0.125)
                }
            },
            measure("causal softmax backward", shape, bytes: 4 * (2 * visible + all)) {
                for h in 0..<heads {
                    Softmax.causalBackward(dScores: dScores.pointer + h * t * t, dProbs: dProbs.pointer + h * t * t,
                                           probs: probs.pointer + h * t * t, rows: t, columns: t, scale: 0.125)
                }
            },
        ]
    }

    /// The fused softmax + NLL over the vocabulary, in place on the logits (restored untimed
    /// before each run), and the loss-only forward used for evaluation.
    func crossEntropy() -> [BandwidthResult] {
        let (n, v) = (lossRows, vocab)
        let logits = randomBuffer(n * v, scale: 5, seed: 19), work = FloatBuffer(count: n * v)
        var generator = SeededGenerator(seed: 20)
        let targets = (0..<n).map { _ in Int32(generator.nextInt(below: v)) }
        let shape = "[\(n), \(v)]"
        return targets.withUnsafeBufferPointer { buffer in
            let t = buffer.baseAddress!
            return [
                measure("cross-entropy fused fwd+bwd", shape, bytes: 8 * Double(n * v),
                        prepare: { work.pointer.update(from: logits.pointer, count: n * v) }) {
                    CrossEntropy.forwardBackward(logitsToGradients: work.pointer, losses: nil, targets: t,
                                                 rows: n, vocab: v, gradientScale: 1 / Float(n))
                },
                measure("cross-entropy forward only", shape, bytes: 4 * Double(n * v)) {
                    CrossEntropy.forward(losses: nil, logits: logits.pointer, targets: t, rows: n, vocab: v)
                },
            ]
        }
    }

    /// The remaining streaming kernels of a training step.
    func others() -> [BandwidthResult] {
        let (n, c) = (rows, channels)
        let a = randomBuffer(n * c, seed: 21), b = randomBuffer(n * c, seed: 22), sum = FloatBuffer(count: n * c)
        let dOut = randomBuffer(n * 3 * c, seed: 23), dBias = FloatBuffer(count: 3 * c)
        let parameterCount = 16 * 1_048_576
        let parameters = randomBuffer(parameterCount, seed: 24), gradients = randomBuffer(parameterCount, scale: 0.01, seed: 25)
        let m = FloatBuffer(count: parameterCount), v = FloatBuffer(count: parameterCount)
        let optimizer = AdamW()
        var step = 0
        return [
            measure("residual add", "[\(n), \(c)]", bytes: 12 * Double(n * c)) {
                Elementwise.add(out: sum.pointer, a.pointer, b.pointer, count: n * c)
            },
            measure("bias gradient (column sums)", "[\(n), \(3 * c)]", bytes: 4 * Double(n * 3 * c)) {
                Linear.columnSums(dOut.pointer, rows: n, columns: 3 * c, accumulateInto: dBias.pointer)
            },
            // Reads parameters, gradients, m, v; writes parameters, m, v.
            measure("AdamW update", "16M params", bytes: 28 * Double(parameterCount)) {
                step += 1
                optimizer.update(parameters: parameters.pointer, gradients: gradients.pointer, firstMoment: m.pointer,
                                 secondMoment: v.pointer, count: parameterCount, step: step, decay: true)
            },
            measure("global gradient norm", "16M params", bytes: 4 * Double(parameterCount)) {
                _ = GradientNorm.global(gradients.pointer, count: parameterCount)
            },
        ]
    }
}
