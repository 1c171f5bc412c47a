import Tensor
import XCTest

final class ResidualLayerNormTests: XCTestCase {
    /// LayerNorm(x + sublayer + sublayerBias) per row, in Double.
    static func reference(
        _ x: [Float], _ sublayer: [Float], _ sublayerBias: [Float]?, _ weight: [Float], _ bias: [Float],
        rows: Int, channels c: Int, eps: Double
    ) -> [Double] {
        var out = [Double](repeating: 0, count: rows * c)
        for r in 0..<rows {
            let sums = (0..<c).map { Double(x[r * c + $0]) + Double(sublayer[r * c + $0]) + Double(sublayerBias?[$0] ?? 0) }
            let mean = sums.reduce(0, +) / Double(c)
            let variance = sums.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(c)
            for i in 0..<c { out[r * c + i] = (sums[i] - mean) / (variance + eps).squareRoot() * Double(weight[i]) + Double(bias[i]) }
        }
        return out
    }

    func testMatchesAddThenLayerNorm() {
        // 19 channels: both the vector body and the scalar tail; 300 rows reach the threaded path.
        for (rows, channels, withBias) in [(3, 19, true), (2, 16, false), (300, 120, true)] {
            var data = TestData(seed: UInt64(rows))
            let x = data.uniform(rows * channels, -2, 2), sublayer = data.uniform(rows * channels, -2, 2)
            let sublayerBias = withBias ? data.uniform(channels) : nil
            let weight = data.uniform(channels, 0.5, 1.5), bias = data.uniform(channels)
            var out = x, scratch = sublayer
            ResidualLayerNorm.forward(x: &out, sublayer: &scratch, sublayerBias: sublayerBias, weight: weight, bias: bias,
                                      rows: rows, channels: channels, eps: 1e-12)
            assertClose(out, Self.reference(x, sublayer, sublayerBias, weight, bias, rows: rows, channels: channels, eps: 1e-12),
                        rtol: 2e-5, "residual LayerNorm \(rows)×\(channels)")
        }
    }

    func testExactGELUWithBiasEqualsAddingTheBiasFirst() {
        var data = TestData(seed: 9)
        let (rows, columns) = (5, 21)
        let input = data.uniform(rows * columns, -4, 4), bias = data.uniform(columns)
        var fused = [Float](repeating: .nan, count: rows * columns)
        ExactGELU.forward(out: &fused, input: input, bias: bias, rows: rows, columns: columns)
        let shifted = (0..<(rows * columns)).map { input[$0] + bias[$0 % columns] }
        var separate = [Float](repeating: .nan, count: rows * columns)
        ExactGELU.forward(out: &separate, input: shifted, count: shifted.count)
        XCTAssertEqual(fused, separate)
    }
}
