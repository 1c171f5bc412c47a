@testable import Embedding
import Foundation
import Tensor
import TestSupport
import XCTest

/// `BidirectionalAttention` on packed sentences against a Double reference: the AVX-512 kernel for
/// short sentences (any head range a parallel chunk hands it) and the Swift paths for the rest.
final class ShortAttentionTests: XCTestCase {
    /// out [R, C] = softmax(Q·Kᵀ/√d)·V per sentence and head, in Double.
    static func reference(qkv: [Float], offsets: [Int], channels c: Int, heads: Int) -> [Float] {
        let d = c / heads
        let scale = 1 / Double(d).squareRoot()
        var out = [Float](repeating: 0, count: offsets.last! * c)
        for s in 0..<(offsets.count - 1) {
            let rows = offsets[s]..<offsets[s + 1]
            for h in 0..<heads {
                for i in rows {
                    let scores = rows.map { j in
                        scale * (0..<d).reduce(0.0) { $0 + Double(qkv[i * 3 * c + h * d + $1]) * Double(qkv[j * 3 * c + c + h * d + $1]) }
                    }
                    let top = scores.max()!
                    let weights = scores.map { Foundation.exp($0 - top) }
                    let total = weights.reduce(0, +)
                    for e in 0..<d {
                        let value = zip(rows, weights).reduce(0.0) { $0 + $1.1 * Double(qkv[$1.0 * 3 * c + 2 * c + h * d + e]) }
                        out[i * c + h * d + e] = Float(value / total)
                    }
                }
            }
        }
        return out
    }

    func check(lengths: [Int], heads: Int, headSize: Int, shortKernel: Bool, seed: UInt64) {
        let c = heads * headSize
        let offsets = lengths.reduce(into: [0]) { $0.append($0.last! + $1) }
        var generator = SeededGenerator(seed: seed)
        // Scores of a few units, as in a trained model, so the softmax is neither flat nor one-hot.
        let qkv = (0..<offsets.last! * 3 * c).map { _ in Float.random(in: -1.5...1.5, using: &generator) }
        var out = [Float](repeating: .nan, count: offsets.last! * c)
        qkv.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { target in
                BidirectionalAttention.forward(out: target.baseAddress!, qkv: input.baseAddress!, offsets: offsets,
                                               channels: c, heads: heads, shortKernel: shortKernel)
            }
        }
        let expected = Self.reference(qkv: qkv, offsets: offsets, channels: c, heads: heads)
        assertClose(out, expected, rtol: 1e-5, atol: 2e-6, "lengths \(lengths), \(heads) heads of \(headSize), kernel \(shortKernel)")
    }

    func testShortSentencesOfOddLengthsMatchTheDoubleReference() throws {
        try XCTSkipUnless(SkinnyMatmul.avx512Available, "no AVX-512F: the short-sentence kernel is not used here")
        check(lengths: [1, 3, 7, 16, 5, 2, 9], heads: 3, headSize: 16, shortKernel: true, seed: 1)
        check(lengths: [13, 1, 4], heads: 2, headSize: 64, shortKernel: true, seed: 2)
        check(lengths: [8, 11, 6, 15], heads: 12, headSize: 32, shortKernel: true, seed: 3)
    }

    func testManySentencesSplitOverThreadsMidSentence() throws {
        try XCTSkipUnless(SkinnyMatmul.avx512Available, "no AVX-512F: the short-sentence kernel is not used here")
        // Enough work for Parallel to split the (sentence, head) items, at a boundary inside a
        // sentence on two cores (305 items: 153 + 152).
        let lengths = (0..<61).map { 1 + ($0 * 7) % 16 }
        check(lengths: lengths, heads: 5, headSize: 32, shortKernel: true, seed: 4)
    }

    func testLongerSentencesAndOddHeadSizesTakeTheSwiftPaths() {
        check(lengths: [17, 3, 60], heads: 12, headSize: 32, shortKernel: true, seed: 5)
        check(lengths: [5, 9], heads: 3, headSize: 20, shortKernel: true, seed: 6)
        check(lengths: [1, 7, 16], heads: 4, headSize: 32, shortKernel: false, seed: 7)
    }
}
