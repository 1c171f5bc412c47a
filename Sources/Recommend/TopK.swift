/// The k best items of a score vector: highest score first, ties to the lower index (numpy's
/// stable sort over the catalogue order, which the reference's argpartition matches whenever the
/// k-th score is not tied), skipping excluded items.
public enum TopK {
    public static func select(_ scores: [Float], k: Int, excluding excluded: Set<Int> = []) -> [Int] {
        var best: [(item: Int, score: Float)] = []
        best.reserveCapacity(k + 1)
        for (item, score) in scores.enumerated() {
            if best.count == k, score <= best[k - 1].score { continue }
            if score.isNaN || excluded.contains(item) { continue }
            var position = best.count
            while position > 0, best[position - 1].score < score { position -= 1 }
            best.insert((item, score), at: position)
            if best.count > k { best.removeLast() }
        }
        return best.map(\.item)
    }
}
