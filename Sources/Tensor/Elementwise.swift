/// Element-wise helpers: the residual add (whose backward is a plain accumulate) and scaling.
public enum Elementwise {
    /// out = a + b
    public static func add(
        out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int
    ) {
        Parallel.forEachChunk(count) { range in
            for i in range { out[i] = a[i] + b[i] }
        }
    }

    /// into += from (the backward of a residual add, for each of its two inputs).
    public static func accumulate(into: UnsafeMutablePointer<Float>, from: UnsafePointer<Float>, count: Int) {
        Parallel.forEachChunk(count) { range in
            for i in range { into[i] += from[i] }
        }
    }

    /// x *= factor
    public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        Parallel.forEachChunk(count) { range in
            for i in range { x[i] *= factor }
        }
    }
}
