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

    @inline(__always)
    static func value(_ x: VectorMath.Vector) -> VectorMath.Vector {
        let t = VectorMath.tanh(scale * (x + cubic * x * x * x))
        return 0.5 * x * (1 + t)
    }

    @inline(__always)
    static func derivative(_ x: VectorMath.Vector) -> VectorMath.Vector {
        let x2 = x * x
        let t = VectorMath.tanh(scale * (x + cubic * x2 * x))
        let sech2 = 1 - t * t
        return 0.5 * (1 + t) + 0.5 * x * sech2 * scale * (1 + 3 * cubic * x2)
    }
}
