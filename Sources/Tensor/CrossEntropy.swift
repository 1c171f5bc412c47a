/// Cross-entropy of logits against target ids, with an ignore index, and its fused
/// softmax + negative-log-likelihood backward: d logits = (softmax - onehot) · scale.
public enum CrossEntropy {
    /// Targets equal to this are not scored and get a zero gradient (PyTorch's default).
    public static let ignoreIndex: Int32 = -100

    /// losses[r] = -log softmax(logits[r])[targets[r]], or 0 for an ignored row.
    /// Returns (Σ losses, number of scored rows). `logits` is not modified.
    @discardableResult
    public static func forward(
        losses: UnsafeMutablePointer<Float>?, logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
        rows: Int, vocab: Int
    ) -> (sum: Double, count: Int) {
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: Parallel.coreCount * 2)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0, count: Parallel.coreCount * 2)
        let used = Parallel.forEachChunkIndexed(rows, costPerItem: 2 * vocab) { chunk, range in
            for r in range {
                let target = targets[r]
                guard target != ignoreIndex else { losses?[r] = 0; continue }
                precondition(target >= 0 && Int(target) < vocab, "target id \(target) outside the vocabulary of \(vocab)")
                let row = logits + r * vocab
                let loss = logSumExp(row, vocab) - row[Int(target)]
                losses?[r] = loss
                partial[2 * chunk] += Double(loss)
                partial[2 * chunk + 1] += 1
            }
        }
        var sum = 0.0, count = 0.0
        for c in 0..<used { sum += partial[2 * c]; count += partial[2 * c + 1] }
        return (sum, Int(count))
    }

    /// Computes the losses and overwrites `logits` in place with their gradient,
    /// (softmax(logits) - onehot(target)) · `gradientScale` (zero for ignored rows), so the
    /// `[rows, vocab]` buffer is needed only once. Returns (Σ losses, scored rows).
    @discardableResult
    public static func forwardBackward(
        logitsToGradients logits: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>?,
        targets: UnsafePointer<Int32>, rows: Int, vocab: Int, gradientScale: Float
    ) -> (sum: Double, count: Int) {
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: Parallel.coreCount * 2)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0, count: Parallel.coreCount * 2)
        let used = Parallel.forEachChunkIndexed(rows, costPerItem: 4 * vocab) { chunk, range in
            for r in range {
                let row = logits + r * vocab
                let target = targets[r]
                guard target != ignoreIndex else {
                    losses?[r] = 0
                    row.update(repeating: 0, count: vocab)
                    continue
                }
                precondition(target >= 0 && Int(target) < vocab, "target id \(target) outside the vocabulary of \(vocab)")
                let t = Int(target)
                let maximum = VectorMath.max(row, vocab)
                let shiftedTargetLogit = row[t] - maximum
                var total: Float = 0
                var j = 0
                var acc = VectorMath.Vector()
                while j + 8 <= vocab {
                    let e = VectorMath.exp(VectorMath.load(row + j) - maximum)
                    VectorMath.store(e, row + j)
                    acc += e
                    j += 8
                }
                total = acc.sum()
                while j < vocab {
                    let e = VectorMath.exp(row[j] - maximum)
                    row[j] = e
                    total += e
                    j += 1
                }
                // From the logit, not -log(row[t] / total): that probability underflows to 0
                // (an infinite loss) once the target trails the best logit by ~87.
                let loss = log(total) - shiftedTargetLogit
                losses?[r] = loss
                partial[2 * chunk] += Double(loss)
                partial[2 * chunk + 1] += 1
                let factor = gradientScale / total
                for k in 0..<vocab { row[k] *= factor }
                row[t] -= gradientScale
            }
        }
        var sum = 0.0, count = 0.0
        for c in 0..<used { sum += partial[2 * c]; count += partial[2 * c + 1] }
        return (sum, Int(count))
    }

    /// log Σ exp(x[i]), computed stably.
    @inlinable
    public static func logSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        let maximum = VectorMath.max(x, n)
        var acc = VectorMath.Vector()
        var j = 0
        while j + 8 <= n {
            acc += VectorMath.exp(VectorMath.load(x + j) - maximum)
            j += 8
        }
        var total = acc.sum()
        while j < n { total += VectorMath.exp(x[j] - maximum); j += 1 }
        return maximum + log(total)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
