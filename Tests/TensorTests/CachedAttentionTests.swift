import XCTest
@testable import Tensor

final class CachedAttentionTests: XCTestCase {
    /// Two heads attended together give each head's `attend` output bit for bit (the pair only
    /// interleaves their weighted sums), for narrow, wide and odd head widths and every count.
    func testAPairOfHeadsGivesEachHeadsOutputBitForBit() {
        var data = SeededGenerator(seed: 5)
        for width in [4, 8, 12, 16, 24, 32, 40, 64, 96] {
            for count in [1, 2, 7, 8, 9, 31, 64, 130] {
                let stride = width
                let keys = (0..<(2 * count * stride)).map { _ in data.nextNormal() }
                let values = (0..<(2 * count * stride)).map { _ in data.nextNormal() }
                let queries = (0..<(2 * width)).map { _ in 2 * data.nextNormal() }
                let scale = 1 / Float(width).squareRoot()
                var alone = [Float](repeating: 0, count: 2 * width), paired = alone
                var scores = [Float](repeating: 0, count: 2 * count)
                keys.withUnsafeBufferPointer { k in
                    values.withUnsafeBufferPointer { v in
                        queries.withUnsafeBufferPointer { q in
                            let (k0, k1) = (k.baseAddress!, k.baseAddress! + count * stride)
                            let (v0, v1) = (v.baseAddress!, v.baseAddress! + count * stride)
                            let (q0, q1) = (q.baseAddress!, q.baseAddress! + width)
                            alone.withUnsafeMutableBufferPointer { out in
                                CachedAttention.attend(query: q0, keys: k0, values: v0, stride: stride, count: count, width: width,
                                                       scale: scale, scores: &scores, into: out.baseAddress!)
                                CachedAttention.attend(query: q1, keys: k1, values: v1, stride: stride, count: count, width: width,
                                                       scale: scale, scores: &scores, into: out.baseAddress! + width)
                            }
                            paired.withUnsafeMutableBufferPointer { out in
                                CachedAttention.attendPair(queries: (q0, q1), keys: (k0, k1), values: (v0, v1), stride: stride,
                                                           count: count, width: width, scale: scale, scores: &scores,
                                                           into: (out.baseAddress!, out.baseAddress! + width))
                            }
                        }
                    }
                }
                XCTAssertEqual(paired.map(\.bitPattern), alone.map(\.bitPattern), "width \(width), \(count) positions")
                XCTAssertTrue(alone.allSatisfy(\.isFinite))
            }
        }
    }
}
