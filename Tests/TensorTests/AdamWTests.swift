import Foundation
import Tensor
import XCTest

final class AdamWTests: XCTestCase {
    /// torch.optim.AdamW's single-tensor update, step by step, in Double.
    struct Reference {
        var parameters, m, v: [Double]
        let learningRate, beta1, beta2, eps, weightDecay: Double

        mutating func step(_ gradients: [Float], step: Int, decay: Bool) {
            let correction1 = 1 - Foundation.pow(beta1, Double(step))
            let correction2 = 1 - Foundation.pow(beta2, Double(step))
            for i in 0..<parameters.count {
                let g = Double(gradients[i])
                if decay { parameters[i] *= 1 - learningRate * weightDecay }
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                let denominator = v[i].squareRoot() / correction2.squareRoot() + eps
                parameters[i] -= learningRate / correction1 * m[i] / denominator
            }
        }
    }

    func runAndCompare(count: Int, steps: Int, decay: Bool, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let optimizer = AdamW(learningRate: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1)
        var data = TestData(seed: seed)
        let initial = data.uniform(count)
        var parameters = initial
        var m = [Float](repeating: 0, count: count), v = [Float](repeating: 0, count: count)
        var reference = Reference(parameters: initial.doubles, m: .init(repeating: 0, count: count), v: .init(repeating: 0, count: count),
                                  learningRate: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1)
        for step in 1...steps {
            var gradients = data.normal(count, std: 0.1)
            // Exactly-zero gradients leave only the decay (and moments that are still zero).
            for i in stride(from: 0, to: count, by: 5) { gradients[i] = 0 }
            optimizer.update(parameters: &parameters, gradients: gradients, firstMoment: &m, secondMoment: &v,
                             count: count, step: step, decay: decay)
            reference.step(gradients, step: step, decay: decay)
            let label = "\(count) values, step \(step), decay \(decay)"
            assertClose(m, reference.m, rtol: 1e-5, "first moment, \(label)", file: file, line: line)
            assertClose(v, reference.v, rtol: 1e-5, "second moment, \(label)", file: file, line: line)
            assertClose(parameters, reference.parameters, rtol: 1e-6, "parameters, \(label)", file: file, line: line)
            // The change from the start is the part the optimiser computes: check it on its own scale.
            assertClose(zip(parameters, initial).map { $0 - $1 },
                        zip(reference.parameters, initial).map { $0 - Double($1) }, rtol: 1e-3, "update, \(label)",
                        file: file, line: line)
        }
    }

    func testOneStepMatchesPyTorchFormula() {
        for decay in [true, false] {
            runAndCompare(count: 17, steps: 1, decay: decay, seed: 1)
        }
    }

    func testSeveralStepsMatchPyTorchFormula() {
        for decay in [true, false] {
            runAndCompare(count: 65, steps: 7, decay: decay, seed: 2)
        }
    }

    /// AdamW.update costs 8 per value: 8193 values split over two threads.
    func testMultiThreadedMatchesPyTorchFormula() {
        assertSplitsOverThreads(8193 * 8, "AdamW.update on 8193 values")
        runAndCompare(count: 8193, steps: 3, decay: true, seed: 3)
    }

    /// Zero gradients from the start: the first step moves a decayed parameter by the decay only.
    func testDecayWithoutGradient() {
        let optimizer = AdamW(learningRate: 0.1, weightDecay: 0.5)
        var parameters: [Float] = [2, -4, 0]
        var m = [Float](repeating: 0, count: 3), v = [Float](repeating: 0, count: 3)
        optimizer.update(parameters: &parameters, gradients: [0, 0, 0], firstMoment: &m, secondMoment: &v,
                         count: 3, step: 1, decay: true)
        assertClose(parameters, [2 * 0.95, -4 * 0.95, 0], rtol: 1e-6, "decay only")
        let decayed = parameters
        optimizer.update(parameters: &parameters, gradients: [0, 0, 0], firstMoment: &m, secondMoment: &v,
                         count: 3, step: 2, decay: false)
        XCTAssertEqual(parameters, decayed, "no decay, no gradient: no change")
    }

    func testGlobalNormMatchesNaiveSum() {
        var data = TestData(seed: 4)
        // 70001 values: two threads, each summing several 4096-value blocks and a ragged tail.
        for count in [0, 1, 3, 17, 4097, 70001] {
            let gradients = data.normal(count)
            let expected = gradients.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let norm = GradientNorm.global(gradients, count: count)
            XCTAssertEqual(Double(norm), expected, accuracy: 1e-6 * max(expected, 1e-30), "norm of \(count) values")
        }
    }

    func testClipScalesDownOnlyAboveTheLimit() {
        var data = TestData(seed: 5)
        let gradients = data.normal(1000)
        let norm = gradients.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()

        var clipped = gradients
        let reported = GradientNorm.clip(&clipped, count: 1000, maxNorm: 1)
        XCTAssertEqual(Double(reported), norm, accuracy: 1e-6 * norm, "clip returns the norm before clipping")
        let coefficient = 1 / (norm + 1e-6)
        assertClose(clipped, gradients.map { Double($0) * coefficient }, rtol: 1e-6, "clipped gradients")
        let after = clipped.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        XCTAssertEqual(after, 1, accuracy: 1e-5, "clipped norm")

        var untouched = gradients
        GradientNorm.clip(&untouched, count: 1000, maxNorm: Float(norm * 2))
        XCTAssertEqual(untouched, gradients, "gradients under the limit are left as they are")
    }
}
