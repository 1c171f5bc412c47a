import Tensor

/// The passes `Sampler` makes over a whole row of logits [V] (50257 for GPT-2), in place and
/// eight at a time: every decoding sequence runs one of them per step, so a copy of the row or
/// a scalar loop over it costs as much as a fair share of the forward.
///
/// Each gives exactly the answer of the plain step it replaces (`Sampler.argmax`,
/// `Sampler.applyTemperature` followed by `Sampler.topK`): a vector pass only skips the chunks
/// in which the scalar loop would have done nothing.
enum LogitSelection {
    /// The lowest index of the largest value of `row[0..<count]`; 0 when the first value is NaN
    /// (NaNs are never chosen), as `Sampler.argmax`.
    static func argmax(_ row: UnsafePointer<Float>, count: Int) -> Int {
        guard count > 0, !row[0].isNaN else { return 0 }
        return firstIndex(of: VectorMath.max(row, count), in: row, count: count) ?? 0
    }

    /// The lowest index of `value` in `row[0..<count]`, eight at a time.
    static func firstIndex(of value: Float, in row: UnsafePointer<Float>, count: Int) -> Int? {
        let target = VectorMath.Vector(repeating: value)
        var i = 0
        while i + 8 <= count, !any(VectorMath.load(row + i) .== target) { i += 8 }
        while i < count, row[i] != value { i += 1 }
        return i < count ? i : nil
    }

    /// Whether `row[0..<count]` holds a NaN.
    static func containsNaN(_ row: UnsafePointer<Float>, count: Int) -> Bool {
        var i = 0
        while i + 8 <= count {
            let v = VectorMath.load(row + i)
            if any(v .!= v) { return true }
            i += 8
        }
        while i < count, !row[i].isNaN { i += 1 }
        return i < count
    }

    /// The tokens `Sampler.topK` keeps of the row scaled by `scale` (the inverse temperature; 1
    /// leaves it as it is), with their scaled logits, in ascending id order. Ids at or above
    /// `allowed` count as −∞. k = 0, or k ≥ count, keeps every token.
    static func topK(_ row: UnsafePointer<Float>, count: Int, allowed: Int, scale: Float, k: Int)
        -> [(token: Int, logit: Float)] {
        let allowed = min(allowed, count)
        @inline(__always) func value(_ i: Int) -> Float { i < allowed ? row[i] * scale : -.infinity }
        guard k > 0, k < count else { return (0..<count).map { ($0, value($0)) } }
        // A min-heap of the k largest scaled values so far. Past the first k, a value enters only
        // when it beats the heap's smallest, so chunks with no such value are skipped whole.
        var heap = MinHeap(capacity: k)
        for i in 0..<k { heap.push(value(i)) }
        let factor = VectorMath.Vector(repeating: scale)
        var i = k
        while i < allowed {
            if i + 8 <= allowed, !any(VectorMath.load(row + i) * factor .> VectorMath.Vector(repeating: heap.smallest)) {
                i += 8
                continue
            }
            for j in i..<min(i + 8, allowed) where value(j) > heap.smallest { heap.replaceSmallest(value(j)) }
            i += 8
        }
        let threshold = heap.smallest
        var kept: [(token: Int, logit: Float)] = []
        kept.reserveCapacity(k)
        let bound = VectorMath.Vector(repeating: threshold)
        i = 0
        while i < allowed {
            if i + 8 <= allowed, !any(VectorMath.load(row + i) * factor .>= bound) {
                i += 8
                continue
            }
            for j in i..<min(i + 8, allowed) where value(j) >= threshold { kept.append((j, value(j))) }
            i += 8
        }
        // −∞ reaches the threshold only when fewer than k ids are allowed: then every id is kept.
        if threshold == -.infinity { for j in allowed..<count { kept.append((j, -.infinity)) } }
        return kept
    }
}

/// The k largest values seen, smallest on top.
struct MinHeap {
    private var values: [Float] = []

    init(capacity: Int) { values.reserveCapacity(capacity) }

    var count: Int { values.count }

    var smallest: Float { values[0] }

    mutating func push(_ value: Float) {
        values.append(value)
        var child = values.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard values[child] < values[parent] else { return }
            values.swapAt(child, parent)
            child = parent
        }
    }

    mutating func replaceSmallest(_ value: Float) {
        values[0] = value
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < values.count, values[left] < values[smallest] { smallest = left }
            if right < values.count, values[right] < values[smallest] { smallest = right }
            guard smallest != parent else { return }
            values.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
