import Foundation

/// Sizes that come from outside — flags, config.json, adapter_config.json, file headers — checked
/// before anything is allocated or indexed with them. Release builds use `-Ounchecked`, where an
/// overflowing `a * b` wraps silently and a later range check passes: every product of outside
/// sizes goes through `product`, and every allocation they imply through `requireMemory`.
public enum SizeCheck {
    /// a × b × …, or nil when a factor is negative or the product overflows `Int`.
    public static func product(_ factors: Int...) -> Int? {
        product(factors)
    }

    public static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            guard factor >= 0 else { return nil }
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// a + b + …, or nil when a term is negative or the sum overflows.
    public static func sum(_ terms: [Int?]) -> Int? {
        var result = 0
        for term in terms {
            guard let term, term >= 0 else { return nil }
            let (next, overflow) = result.addingReportingOverflow(term)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// One line "`name` must be between `range` (got value)" when `value` is outside `range`.
    public static func problem(_ name: String, _ value: Int, in range: ClosedRange<Int>) -> String? {
        guard !range.contains(value) else { return nil }
        if range.upperBound == Int.max { return "\(name) must be at least \(range.lowerBound) (got \(value))" }
        return "\(name) must be between \(range.lowerBound) and \(range.upperBound) (got \(value))"
    }

    /// The memory a single run may plan to use: 90% of the machine's.
    public static var availableBytes: Int {
        Int(ProcessInfo.processInfo.physicalMemory) / 10 * 9
    }

    /// Why `bytes` (nil = too large to count) cannot be allocated on this machine, or nil.
    /// `what` names the flag or file the size came from, e.g. "--batch 4096 × --seq 1024".
    public static func memoryProblem(_ bytes: Int?, for what: String) -> String? {
        let available = availableBytes
        guard let bytes else {
            return "\(what) needs more memory than can be counted; this machine has \(gigabytes(available))"
        }
        guard bytes > available else { return nil }
        return "\(what) needs about \(gigabytes(bytes)); this machine has \(gigabytes(Int(ProcessInfo.processInfo.physicalMemory)))"
    }

    public static func gigabytes(_ bytes: Int) -> String {
        String(format: "%.1f GB", Double(bytes) / 1e9)
    }
}
