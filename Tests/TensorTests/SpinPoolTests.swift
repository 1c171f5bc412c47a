import CKernels
import Dispatch
import Foundation
import Synchronization
import Tensor
import XCTest

/// The one hand-off of the decoding products, 4-bit (`Q4Matrix`) and fp32 (`FloatGEMV.c`); the
/// products' bit-identity over thread counts is tested with them (Q4MatrixTests, FloatGEMVTests).
final class SpinPoolTests: XCTestCase {
    override func setUp() { SpinPool.setPolicy(.always) }
    override func tearDown() { SpinPool.setPolicy(.fromEnvironment) }

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

    /// The threads that ran the parts of 16 parts of 2 ms on 2 threads.
    private static func threadsOfSlowLoop() -> Int {
        let threadsSeen = Mutex<Set<UInt>>([])
        let counts = runCounts(16, threads: 2) { _ in
            let me = UInt(bitPattern: Int(pthread_self()))
            threadsSeen.withLock { _ = $0.insert(me) }
            usleep(2000)
        }
        XCTAssertEqual(counts, [Int](repeating: 1, count: 16))
        return threadsSeen.withLock { $0.count }
    }

    func testWorkersTakePartsOfSlowLoops() {
        // A worker that is awake takes some parts while the caller sleeps in its own.
        XCTAssertEqual(Self.threadsOfSlowLoop(), 2, "no worker took a part of 16 × 2 ms")
    }

    func testEnvironmentChoosesThePolicy() {
        defer { unsetenv("FINCH_SPIN_POOL") }
        setenv("FINCH_SPIN_POOL", "never", 1)
        SpinPool.setPolicy(.fromEnvironment)
        XCTAssertEqual(Self.threadsOfSlowLoop(), 1, "FINCH_SPIN_POOL=never, yet a worker took a part")
        setenv("FINCH_SPIN_POOL", "always", 1)
        SpinPool.setPolicy(.fromEnvironment)
        XCTAssertEqual(Self.threadsOfSlowLoop(), 2, "FINCH_SPIN_POOL=always, yet no worker took a part")
    }

    func testWorkersStandDownAboveTwiceTheCoresPlusOne() {
        // The decoding process's own two threads count in the load: an idle 2-core machine shows ≈ 3.
        XCTAssertFalse(finch_spin_pool_crowded(3.0, 2) != 0)
        XCTAssertFalse(finch_spin_pool_crowded(5.0, 2) != 0)
        XCTAssertTrue(finch_spin_pool_crowded(5.1, 2) != 0)
        XCTAssertFalse(finch_spin_pool_crowded(17.0, 8) != 0)
        XCTAssertTrue(finch_spin_pool_crowded(17.5, 8) != 0)
    }

    func testLatenessIsMeasuredAgainstTheCallersOwnParts() {
        XCTAssertFalse(finch_spin_pool_late(50_000, 0) != 0)
        XCTAssertTrue(finch_spin_pool_late(50_001, 0) != 0)
        // fp32 parts stream ~384 KB each: waiting out most of one claimed just before is on time.
        XCTAssertFalse(finch_spin_pool_late(100_000, 40_000) != 0)
        XCTAssertTrue(finch_spin_pool_late(131_000, 40_000) != 0)
    }

    func testOnlyRepeatedStrikesStartABackOff() {
        var strikes = finch_spin_strikes()
        let ms: UInt64 = 1_000_000
        // Lone events a window apart (a page fault, a timer interrupt) are forgiven forever.
        for i in 0..<50 { XCTAssertEqual(finch_spin_strikes_add(&strikes, UInt64(i) * 101 * ms), 0) }
        // Two in a window are not enough, the third is.
        let t = 10_000 * ms
        XCTAssertEqual(finch_spin_strikes_add(&strikes, t), 0)
        XCTAssertEqual(finch_spin_strikes_add(&strikes, t + 30 * ms), 0)
        XCTAssertEqual(finch_spin_strikes_add(&strikes, t + 60 * ms), 1)
        // After a back-off the count starts again.
        XCTAssertEqual(finch_spin_strikes_add(&strikes, t + 61 * ms), 0)
        XCTAssertEqual(finch_spin_strikes_add(&strikes, t + 62 * ms), 0)
        XCTAssertEqual(finch_spin_strikes_add(&strikes, t + 63 * ms), 1)
        // Strikes spread past the window start a new one.
        XCTAssertEqual(finch_spin_strikes_add(&strikes, t + 200 * ms), 0)
        XCTAssertEqual(finch_spin_strikes_add(&strikes, t + 290 * ms), 0)
        XCTAssertEqual(finch_spin_strikes_add(&strikes, t + 400 * ms), 0)
    }

    func testTheCallerNeverWaitsForALateWorker() {
        // A worker's part waits until the caller has run every other part: a split fixed in
        // advance (half the parts each) would leave the worker's other parts undone and time out.
        let caller = pthread_self()
        let count = 16
        let doneByCaller = Atomic<Int>(0), workerParts = Atomic<Int>(0), timedOut = Atomic<Bool>(false)
        var loopsTheWorkerJoined = 0
        for _ in 0..<20 {
            doneByCaller.store(0, ordering: .sequentiallyConsistent)
            workerParts.store(0, ordering: .sequentiallyConsistent)
            let counts = Self.runCounts(count, threads: 2) { _ in
                guard pthread_equal(pthread_self(), caller) == 0 else {
                    usleep(300)  // long enough for the worker to wake and claim a part
                    doneByCaller.add(1, ordering: .sequentiallyConsistent)
                    return
                }
                workerParts.add(1, ordering: .sequentiallyConsistent)
                let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
                while doneByCaller.load(ordering: .sequentiallyConsistent) < count - 1 {
                    if DispatchTime.now().uptimeNanoseconds > deadline {
                        timedOut.store(true, ordering: .sequentiallyConsistent)
                        return
                    }
                    usleep(100)
                }
            }
            XCTAssertEqual(counts, [Int](repeating: 1, count: count))
            XCTAssertLessThanOrEqual(workerParts.load(ordering: .sequentiallyConsistent), 1)
            XCTAssertFalse(timedOut.load(ordering: .sequentiallyConsistent), "the caller left parts to a busy worker")
            loopsTheWorkerJoined += workerParts.load(ordering: .sequentiallyConsistent)
        }
        XCTAssertGreaterThan(loopsTheWorkerJoined, 0, "the worker never took a part, so nothing was tested")
    }

    func testNestedAndConcurrentCallsRunEveryPartOnce() {
        // A loop started inside a part, and callers at once: all but one of them run alone.
        let inner = Mutex<[Int]>([])
        let outer = Self.runCounts(8, threads: 2) { _ in
            let counts = Self.runCounts(5, threads: 2)
            inner.withLock { $0.append(contentsOf: counts) }
        }
        XCTAssertEqual(outer, [Int](repeating: 1, count: 8))
        XCTAssertEqual(inner.withLock { $0 }, [Int](repeating: 1, count: 40))
        // Four callers of 50 loops each (the decoding sessions of a server).
        let results = Mutex<[[Int]]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<50 {
                let counts = Self.runCounts(300, threads: 3)
                results.withLock { $0.append(counts) }
            }
        }
        XCTAssertEqual(results.withLock { $0 }, [[Int]](repeating: [Int](repeating: 1, count: 300), count: 200))
    }

    func testRangesCoverEveryIndexOnceInContiguousEqualParts() {
        for (count, parts) in [(1, 1), (7, 2), (10, 3), (10, 4), (13, 10), (3, 8), (100, 7)] {
            let seen = Mutex<[(part: Int, range: Range<Int>)]>([])
            SpinPool.forEachRange(count, parts: parts, threads: 2) { part, range in seen.withLock { $0.append((part, range)) } }
            let ranges = seen.withLock { $0 }.sorted { $0.part < $1.part }
            let perPart = (count + parts - 1) / parts
            XCTAssertEqual(ranges.map(\.part), Array(0..<ranges.count), "\(count) in \(parts)")
            XCTAssertLessThanOrEqual(ranges.count, parts)
            XCTAssertEqual(ranges.flatMap { Array($0.range) }, Array(0..<count), "\(count) in \(parts)")
            for (part, range) in ranges {
                XCTAssertEqual(range.lowerBound, part * perPart)
                XCTAssertFalse(range.isEmpty)
            }
        }
        SpinPool.forEachRange(0, parts: 2, threads: 2) { _, _ in XCTFail("nothing to run") }
    }
}
