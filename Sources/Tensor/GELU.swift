/// GELU in GPT-2's tanh form ("gelu_new"):
/// gelu(x) = ½ x (1 + tanh(√(2/π) (x + 0.044715 x³))).
public enum GELU {
    static let scale: Float = 0.797_884_56  // √(2/π)
    static let cubic: Float = 0.044_715

    public static func forward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
        Parallel.forEachChunk(count, costPerItem: 8) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let x = VectorMath.load(input + i)
                VectorMath.store(value(x), out + i)
                i += 8
            }
            while i < range.upperBound {
                out[i] = value(VectorMath.Vector(repeating: input[i]))[0]
                i += 1
            }
        }
    }

    /// dInput += gelu'(input) · dOut
    public static func backward(
        dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, input: UnsafePointer<Float>, count: Int
    ) {
        Parallel.forEachChunk(count, costPerItem: 10) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let x = VectorMath.load(input + i)
                let g = VectorMath.load(dInput + i) + derivative(x) * VectorMath.load(dOut + i)
                VectorMath.store(g, dInput + i)
                i += 8
            }
            while i < range.upperBound {
                dInput[i] += derivative(VectorMath.Vector(repeating: input[i]))[0] * dOut[i]
                i += 1
            }
        }
    }

    // ½(1 + tanh u) = 1 / (1 + e^(-2u)), so gelu(x) = x / (1 + e^(-2u)) with u = √(2/π)(x + 0.044715 x³):
    // one exp and one division, and no cancellation in 1 + tanh u where tanh u → -1.

    /// e^(-2u), from which both the value and the derivative follow.
    @inline(__always)
    static func expMinusTwoU(_ x: VectorMath.Vector, _ x2: VectorMath.Vector) -> VectorMath.Vector {
        VectorMath.exp((-2 * scale) * x * VectorMath.Vector(repeating: 1).addingProduct(x2, cubic))
    }

    @inline(__always)
    static func value(_ x: VectorMath.Vector) -> VectorMath.Vector {
        x / (1 + expMinusTwoU(x, x * x))
    }

    /// gelu'(x) = s + x · s(1 - s) · 2√(2/π)(1 + 3·0.044715 x²), with s = ½(1 + tanh u) = 1 / (1 + e^(-2u)).
    @inline(__always)
    static func derivative(_ x: VectorMath.Vector) -> VectorMath.Vector {
        let x2 = x * x
        let s = 1 / (1 + expMinusTwoU(x, x2))
        let slope = (2 * scale) * x * VectorMath.Vector(repeating: 1).addingProduct(x2, 3 * cubic)
        return s.addingProduct(s * (1 - s), slope)
    }
}
