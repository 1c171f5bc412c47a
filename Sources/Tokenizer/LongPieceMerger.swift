/// BPE for long pieces (a megabyte of spaces is one piece): the same merge order as rescanning
/// — lowest rank first, leftmost on ties — from a min-heap of candidate pairs over a linked
/// list of symbols, so a piece of n bytes costs n log n instead of n².
struct LongPieceMerger {
    private var symbols: [UInt32] = []
    private var next: [Int] = []
    private var previous: [Int] = []
    /// Candidate merges, `(merge, position of the pair's left symbol)`; stale ones are skipped on pop.
    private var heap: [(merge: UInt64, position: Int)] = []

    mutating func merge(_ piece: UnsafePointer<UInt8>, _ length: Int, byteTokens: [UInt32], pairs: PairMergeTable) -> [UInt32] {
        symbols = (0..<length).map { byteTokens[Int(piece[$0])] }
        next = Array(1...length)
        next[length - 1] = -1
        previous = Array(-1..<(length - 1))
        heap.removeAll(keepingCapacity: true)
        for i in 0..<(length - 1) {
            let merge = pairs.merge(symbols[i], symbols[i + 1])
            if merge != PairMergeTable.noMerge { push((merge, i)) }
        }
        while let (merge, position) = pop() {
            let right = next[position]
            // Skip candidates whose pair has since changed (position merged away, or a neighbour joined).
            guard symbols[position] != UInt32.max, right >= 0,
                  pairs.merge(symbols[position], symbols[right]) == merge else { continue }
            symbols[position] = UInt32(truncatingIfNeeded: merge)
            symbols[right] = .max
            let afterRight = next[right]
            next[position] = afterRight
            if afterRight >= 0 { previous[afterRight] = position }
            let before = previous[position]
            if before >= 0 {
                let leftMerge = pairs.merge(symbols[before], symbols[position])
                if leftMerge != PairMergeTable.noMerge { push((leftMerge, before)) }
            }
            if afterRight >= 0 {
                let rightMerge = pairs.merge(symbols[position], symbols[afterRight])
                if rightMerge != PairMergeTable.noMerge { push((rightMerge, position)) }
            }
        }
        var result: [UInt32] = []
        var position = 0
        while position >= 0 {
            result.append(symbols[position])
            position = next[position]
        }
        return result
    }

    @inline(__always)
    private func precedes(_ a: (merge: UInt64, position: Int), _ b: (merge: UInt64, position: Int)) -> Bool {
        // Ranks are the high 32 bits, so comparing whole merges compares ranks; equal merges tie on position.
        a.merge < b.merge || (a.merge == b.merge && a.position < b.position)
    }

    private mutating func push(_ item: (merge: UInt64, position: Int)) {
        heap.append(item)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() -> (merge: UInt64, position: Int)? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count && precedes(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count && precedes(heap[right], heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
