/// Streams generated text while watching for stop strings: text is released as soon as it
/// cannot be the start of a stop string, and a stop string itself is never released.
///
/// Matching is on UTF-8 bytes, so grapheme clustering cannot merge a stop string with the
/// characters around it; the held-back suffix always starts where a stop string starts, on a
/// character boundary, so released text never splits a character.
public struct StopStringFilter {
    private let stops: [[UInt8]]
    private var pending: [UInt8] = []
    public private(set) var isStopped = false

    /// Empty stop strings are ignored.
    public init(stops: [String]) {
        self.stops = stops.map { Array($0.utf8) }.filter { !$0.isEmpty }
    }

    /// Takes the next piece of generated text; returns what may be shown now. After a stop
    /// string is seen, returns the text before it, sets `isStopped` and ignores further input.
    public mutating func append(_ text: String) -> String {
        guard !isStopped else { return "" }
        pending.append(contentsOf: text.utf8)
        if let match = earliestMatch() {
            isStopped = true
            let released = String(decoding: pending[..<match], as: UTF8.self)
            pending.removeAll()
            return released
        }
        let keep = longestSuffixStartingAStop()
        let released = String(decoding: pending[..<(pending.count - keep)], as: UTF8.self)
        pending.removeFirst(pending.count - keep)
        return released
    }

    /// The held-back text once generation ends without a stop string.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return isStopped ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Offset of the first byte of the earliest complete stop string in `pending`.
    private func earliestMatch() -> Int? {
        var best: Int?
        for stop in stops where stop.count <= pending.count {
            var start = 0
            while start + stop.count <= pending.count, start < (best ?? Int.max) {
                if pending[start..<(start + stop.count)].elementsEqual(stop) {
                    best = start
                    break
                }
                start += 1
            }
        }
        return best
    }

    /// Length of the longest suffix of `pending` that is a proper prefix of some stop string.
    private func longestSuffixStartingAStop() -> Int {
        var longest = 0
        for stop in stops {
            var length = min(stop.count - 1, pending.count)
            while length > longest {
                if pending[(pending.count - length)...].elementsEqual(stop[..<length]) {
                    longest = length
                    break
                }
                length -= 1
            }
        }
        return longest
    }
}
