/// GELU in its exact form, as BERT and PyTorch's default `nn.GELU()` compute it:
/// gelu(x) = x · Φ(x) = ½ x (1 + erf(x / √2)). GPT-2's tanh approximation is `GELU`.
public enum ExactGELU {
    static let inverseSquareRootTwo: Float = 0.707_106_77

    public static func forward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
        Parallel.forEachChunk(count, costPerItem: 12) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                VectorMath.store(value(VectorMath.load(input + i)), out + i)
                i += 8
            }
            while i < range.upperBound {
                out[i] = value(VectorMath.Vector(repeating: input[i]))[0]
                i += 1
            }
        }
    }

    @inline(__always)
    static func value(_ x: VectorMath.Vector) -> VectorMath.Vector {
        0.5 * x * (1 + erf(x * inverseSquareRootTwo))
    }

    /// erf for eight lanes: Abramowitz & Stegun 7.1.26, |error| ≤ 1.5e-7 (below float32's
    /// resolution of erf near ±1), from one `exp` and a degree-5 polynomial in t = 1 / (1 + p|x|).
    /// libm's `erff` is a scalar call per element, which would dominate the feed-forward layer.
    @inline(__always)
    public static func erf(_ x: VectorMath.Vector) -> VectorMath.Vector {
        let magnitude = x.replacing(with: -x, where: x .< 0)
        let t = 1 / VectorMath.Vector(repeating: 1).addingProduct(magnitude, 0.327_591_1)
        var p = VectorMath.Vector(repeating: 1.061_405_429)
        p = VectorMath.Vector(repeating: -1.453_152_027).addingProduct(p, t)
        p = VectorMath.Vector(repeating: 1.421_413_741).addingProduct(p, t)
        p = VectorMath.Vector(repeating: -0.284_496_736).addingProduct(p, t)
        p = VectorMath.Vector(repeating: 0.254_829_592).addingProduct(p, t)
        let y = 1 - p * t * VectorMath.exp(-magnitude * magnitude)
        return y.replacing(with: -y, where: x .< 0)
    }
}
