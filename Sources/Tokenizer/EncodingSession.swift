import Foundation

/// The encoder's working state for one call or one batch worker: the tokenizer's shared tables,
/// a word cache and scratch buffers, so the hot loop neither locks nor allocates per piece.
struct EncodingSession {
    private let pieces = PreTokenizer()
    private let tokenIndex: ByteStringIndex
    private let pairs: PairMergeTable
    private let byteTokens: [UInt32]
    private var cache = WordCache()
    private let scratch: MergeScratch
    private var merger = LongPieceMerger()

    /// Pieces at most this long merge by rescanning their pairs (tiktoken's way, fastest for words);
    /// longer ones (runs of spaces or symbols) use a heap so the cost stays n log n.
    private let longPiece: Int
    static let defaultLongPiece = 128

    init(tokenIndex: ByteStringIndex, pairs: PairMergeTable, byteTokens: [UInt32], longPiece: Int = defaultLongPiece) {
        self.tokenIndex = tokenIndex
        self.pairs = pairs
        self.byteTokens = byteTokens
        self.longPiece = longPiece
        scratch = MergeScratch(capacity: max(1, longPiece))
    }

    /// Appends the ids of `text[0..<count]` (valid UTF-8, no special tokens) to `output`.
    mutating func encode(_ text: UnsafePointer<UInt8>, _ count: Int, into output: inout [Int]) {
        var start = 0
        while start < count {
            let end = pieces.pieceEnd(text, start, count)
            let piece = text + start
            let length = end - start
            if length == 1 {
                output.append(Int(byteTokens[Int(piece[0])]))
            } else {
                let whole = tokenIndex.value(piece, length)
                if whole != ByteStringIndex.missing {
                    output.append(Int(whole))
                } else if !cache.withCached(piece, length, { ids in for id in ids { output.append(Int(id)) } }) {
                    mergePiece(piece, length, into: &output)
                }
            }
            start = end
        }
    }

    private mutating func mergePiece(_ piece: UnsafePointer<UInt8>, _ length: Int, into output: inout [Int]) {
        if length > longPiece {
            let ids = merger.merge(piece, length, byteTokens: byteTokens, pairs: pairs)
            for id in ids { output.append(Int(id)) }
            return
        }
        let symbolCount = mergeByRescanning(piece, length, scratch.symbols, scratch.pairMerges)
        let ids = UnsafeBufferPointer(start: scratch.symbols, count: symbolCount)
        for id in ids { output.append(Int(id)) }
        cache.insert(piece, length, ids: ids)
    }

    /// tiktoken's merge loop: repeatedly join the adjacent pair whose merge ranks lowest
    /// (the leftmost on ties). Returns the number of symbols left in `symbols`.
    private func mergeByRescanning(
        _ piece: UnsafePointer<UInt8>, _ length: Int,
        _ symbols: UnsafeMutablePointer<UInt32>, _ pairMerges: UnsafeMutablePointer<UInt64>
    ) -> Int {
        for i in 0..<length { symbols[i] = byteTokens[Int(piece[i])] }
        for i in 0..<(length - 1) { pairMerges[i] = pairs.merge(symbols[i], symbols[i + 1]) }
        var count = length
        while count > 1 {
            var best = PairMergeTable.noMerge
            var bestIndex = -1
            for i in 0..<(count - 1) where pairMerges[i] < best {
                best = pairMerges[i]
                bestIndex = i
            }
            if bestIndex < 0 { break }
            symbols[bestIndex] = UInt32(truncatingIfNeeded: best)
            var j = bestIndex + 1
            while j < count - 1 {
                symbols[j] = symbols[j + 1]
                j += 1
            }
            j = bestIndex + 1
            while j < count - 2 {
                pairMerges[j] = pairMerges[j + 1]
                j += 1
            }
            count -= 1
            if bestIndex > 0 { pairMerges[bestIndex - 1] = pairs.merge(symbols[bestIndex - 1], symbols[bestIndex]) }
            if bestIndex < count - 1 { pairMerges[bestIndex] = pairs.merge(symbols[bestIndex], symbols[bestIndex + 1]) }
        }
        return count
    }
}

/// Current symbols of the piece being merged, and the merge each adjacent pair would make.
/// Owned by one session, hence by one thread.
final class MergeScratch {
    let symbols: UnsafeMutablePointer<UInt32>
    let pairMerges: UnsafeMutablePointer<UInt64>

    init(capacity: Int) {
        symbols = .allocate(capacity: capacity)
        pairMerges = .allocate(capacity: capacity)
    }

    deinit {
        symbols.deallocate()
        pairMerges.deallocate()
    }
}
