import Dispatch
import Foundation
import Synchronization
import Tensor
import XCTest

final class SpinPoolTests: XCTestCase {
    override func setUp() { SpinPool.setPolicy(.always) }
    override func tearDown() { SpinPool.setPolicy(.automatic) }

    /// How many times each part ran, over many loops of different sizes and thread counts (the
    /// workers see a new loop published while they still spin on the last).
    private static func runCounts(_ count: Int, threads: Int, body: (Int) -> Void = { _ in }) -> [Int] {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0)
        SpinPool.forEach(count, threads: threads) { part in
            body(part)
            counts[part] += 1  // each part runs once, so no two threads write one slot
        }
        return Array(counts)
    }

    func testEveryPartRunsExactlyOnce() {
        for threads in [1, 2, 3, 5] {
            for count in [0, 1, 2, 3, 7, 64, 1000] {
                for _ in 0..<20 {
                    XCTAssertEqual(Self.runCounts(count, threads: threads), [Int](repeating: 1, count: count),
                                   "\(count) parts on \(threads) threads")
                }
            }
        }
    }

    func testWorkersTakePartsOfSlowLoops() {
        // Parts of 2 ms: a worker that is awake takes some while the caller sleeps in its own.
        let threadsSeen = Mutex<Set<UInt>>([])
        let counts = Self.runCounts(16, threads: 2) { _ in
            let me = UInt(bitPattern: Int(pthread_self()))
            threadsSeen.withLock { _ = $0.insert(me) }
            usleep(2000)
        }
        XCTAssertEqual(counts, [Int](repeating: 1, count: 16))
        XCTAssertEqual(threadsSeen.withLock { $0.count }, 2, "no worker took a part of 16 × 2 ms")
    }

    func testNestedAndConcurrentCallsRunEveryPartOnce() {
        // A loop started inside a part, and two callers at once: the second runs alone.
        let inner = Mutex<[Int]>([])
        let outer = Self.runCounts(8, threads: 2) { _ in
            let counts = Self.runCounts(5, threads: 2)
            inner.withLock { $0.append(contentsOf: counts) }
        }
        XCTAssertEqual(outer, [Int](repeating: 1, count: 8))
        XCTAssertEqual(inner.withLock { $0 }, [Int](repeating: 1, count: 40))
        let results = Mutex<[[Int]]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let counts = Self.runCounts(300, threads: 2)
            results.withLock { $0.append(counts) }
        }
        XCTAssertEqual(results.withLock { $0 }, [[Int]](repeating: [Int](repeating: 1, count: 300), count: 4))
    }
}
