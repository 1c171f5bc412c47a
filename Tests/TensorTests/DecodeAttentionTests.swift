import Tensor
import XCTest

final class DecodeAttentionTests: XCTestCase {
    /// Against softmax(q·Kᵀ/√d)·V in Double, head by head, for head sizes on the vector path (8,
    /// 64) and off it (12, 3), position counts that do and do not fill the four-position steps,
    /// and rows wider than the heads (the KV cache's stride is the model width).
    func testMatchesTheDoubleAttentionOfEveryHead() {
        var data = TestData(seed: 31)
        for (heads, d) in [(3, 8), (8, 64), (2, 12), (5, 3)] {
            for positions in [1, 3, 4, 37, 130] {
                let stride = heads * d + 5
                let q = data.normal(heads * d), keys = data.normal(positions * stride), values = data.normal(positions * stride)
                let scale = 1 / Float(d).squareRoot()
                var scratch = [Float](repeating: .nan, count: heads * positions)
                var out = [Float](repeating: .nan, count: heads * d)
                DecodeAttention.attend(query: q, keys: keys, values: values, rowStride: stride, positions: positions,
                                       heads: heads, headSize: d, scale: scale, scratch: &scratch, out: &out)
                var expected = [Double]()
                for h in 0..<heads {
                    let scores = (0..<positions).map { t in
                        (0..<d).reduce(0.0) { $0 + Double(q[h * d + $1]) * Double(keys[t * stride + h * d + $1]) } * Double(scale)
                    }
                    let largest = scores.max() ?? 0
                    let weights = scores.map { exp($0 - largest) }
                    let total = weights.reduce(0, +)
                    for i in 0..<d {
                        let sum = (0..<positions).reduce(0.0) { $0 + weights[$1] * Double(values[$1 * stride + h * d + i]) }
                        expected.append(sum / total)
                    }
                }
                // Float sums of up to 130 signed terms: ≈ 1e-5 of the largest output on the worst element.
                assertClose(out, expected, rtol: 1e-4, "\(heads) heads of \(d), \(positions) positions")
            }
        }
    }
}
