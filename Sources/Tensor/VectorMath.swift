/// SIMD building blocks shared by the kernels: reductions and a vectorised `exp`.
/// LLVM does not vectorise float reductions on its own (it may not reassociate), and libm's
/// `expf`/`tanhf` are scalar calls, so softmax, cross-entropy and GELU would otherwise be
/// dominated by them.
public enum VectorMath {
    public typealias Vector = SIMD8<Float>

    @inline(__always)
    public static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    public static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// Σ x[i]
    @inlinable
    public static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = Vector(), acc1 = Vector()
        var i = 0
        while i + 16 <= n {
            acc0 += load(x + i)
            acc1 += load(x + i + 8)
            i += 16
        }
        var s = (acc0 + acc1).sum()
        while i < n { s += x[i]; i += 1 }
        return s
    }

    /// Σ x[i]·y[i]
    @inlinable
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = Vector(), acc1 = Vector()
        var i = 0
        while i + 16 <= n {
            acc0 += load(x + i) * load(y + i)
            acc1 += load(x + i + 8) * load(y + i + 8)
            i += 16
        }
        var s = (acc0 + acc1).sum()
        while i < n { s += x[i] * y[i]; i += 1 }
        return s
    }

    /// max x[i]
    @inlinable
    public static func max(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var best = -Float.infinity
        var i = 0
        if n >= 8 {
            // Four independent accumulators: with one, each compare-and-select waits for the
            // previous one, and the max pass of a vocabulary row cost as much as its exps.
            var acc0 = Vector(repeating: -.infinity), acc1 = acc0, acc2 = acc0, acc3 = acc0
            while i + 32 <= n {
                let v0 = load(x + i), v1 = load(x + i + 8), v2 = load(x + i + 16), v3 = load(x + i + 24)
                acc0.replace(with: v0, where: v0 .> acc0)
                acc1.replace(with: v1, where: v1 .> acc1)
                acc2.replace(with: v2, where: v2 .> acc2)
                acc3.replace(with: v3, where: v3 .> acc3)
                i += 32
            }
            while i + 8 <= n {
                let v = load(x + i)
                acc0.replace(with: v, where: v .> acc0)
                i += 8
            }
            acc0.replace(with: acc1, where: acc1 .> acc0)
            acc2.replace(with: acc3, where: acc3 .> acc2)
            acc0.replace(with: acc2, where: acc2 .> acc0)
            best = acc0.max()
        }
        while i < n { best = Swift.max(best, x[i]); i += 1 }
        return best
    }

    /// e^x for eight lanes: Cephes' `expf` (range reduction by ln 2, degree-6 polynomial),
    /// relative error ≈ 1e-7 over the whole float range. Inputs below -87.3 give 0; inputs
    /// above 88.72 saturate at the largest float.
    /// n = round(x·log2 e) comes from the 1.5·2²³ "shifter": adding it leaves n in the low
    /// mantissa bits, so 2ⁿ is built with integer lane operations, with no float→int
    /// conversion (Swift's generic SIMD conversion is scalarised and dominated the cost).
    /// `@_transparent`, not `@inline(__always)`: with the latter the optimiser still emitted
    /// a call per eight values inside the softmax and cross-entropy loops.
    @_transparent
    public static func exp(_ x: Vector) -> Vector {
        // Clamping by masks: Swift's generic pointwiseMin/Max do not inline here.
        let low = Vector(repeating: -87.33654), high = Vector(repeating: 88.72283)
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        let shifter = Vector(repeating: 12_582_912)  // 1.5 · 2²³
        // Fused multiply-adds (one instruction each with FMA; Swift never contracts a·b + c
        // itself): they halve the polynomial's cost, which bounds softmax and cross-entropy.
        let shifted = shifter.addingProduct(clamped, 1.442_695_04)
        let n = shifted - shifter
        var r = clamped.addingProduct(n, -0.693_359_375)
        r = r.addingProduct(n, 2.121_944_4e-4)
        var p = Vector(repeating: 1.987_569_15e-4)
        p = Vector(repeating: 1.398_199_95e-3).addingProduct(p, r)
        p = Vector(repeating: 8.333_451_9e-3).addingProduct(p, r)
        p = Vector(repeating: 4.166_579_59e-2).addingProduct(p, r)
        p = Vector(repeating: 1.666_666_55e-1).addingProduct(p, r)
        p = Vector(repeating: 5.000_000_12e-1).addingProduct(p, r)
        p = r.addingProduct(p, r * r) + 1
        // p · 2ⁿ by adding n to p's exponent field: a float 2ⁿ cannot be formed for n = 128,
        // which x in (88.38, 88.72] needs (there p < 1, so the sum stays finite).
        let n23 = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000) &<< 23
        let result = unsafeBitCast(unsafeBitCast(p, to: SIMD8<Int32>.self) &+ n23, to: Vector.self)
        return result.replacing(with: 0, where: x .< -87.33654)
    }

    /// e^x for one value, with the same polynomial as the vector form so scalar tails agree.
    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        exp(Vector(repeating: x))[0]
    }

    /// tanh through e^(2x): tanh(u) = 1 - 2 / (e^(2u) + 1), exact at the saturated ends.
    @inline(__always)
    public static func tanh(_ u: Vector) -> Vector {
        let e = exp(u + u)
        return 1 - 2 / (e + 1)
    }
}
