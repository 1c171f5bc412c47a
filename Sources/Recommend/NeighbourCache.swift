import Synchronization

/// Each customer's TIFU-KNN neighbours, computed on first use and kept. They depend only on the
/// training data, which never changes under a recommender (an import makes a new one), and every
/// scoring of the customer needs the same list: both tracks, and every request the shop serves
/// them. Clicks and other interactions are blended in after the methods' scores, so they never
/// make a list stale. At most `neighbours` ids per customer: 4,334 customers × 100 × 4 bytes on
/// the full data.
final class NeighbourCache: Sendable {
    private let lists: Mutex<[[Int32]?]>

    init(customerCount: Int) {
        lists = Mutex([[Int32]?](repeating: nil, count: customerCount))
    }

    /// Customer `c`'s list, from `compute` the first time. Two threads may both compute a missing
    /// list; they get the same one.
    func neighbours(of c: Int, compute: () -> [Int32]) -> [Int32] {
        if let known = lists.withLock({ $0[c] }) { return known }
        let computed = compute()
        lists.withLock { $0[c] = computed }
        return computed
    }
}
