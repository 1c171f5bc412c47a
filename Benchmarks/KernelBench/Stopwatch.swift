import Dispatch
import Tensor

/// Median wall time of repeated runs after a warm-up. The median, not the mean, because on
/// a 2-core machine shared with other work the odd run is interrupted.
struct Stopwatch {
    let warmup: Int
    let repeats: Int

    /// Median seconds of `body`; `prepare` runs untimed before each run (e.g. to restore an
    /// input that the kernel overwrites).
    func seconds(prepare: () -> Void = {}, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { prepare(); body() }
        var times = [Double]()
        for _ in 0..<repeats {
            prepare()
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        return median(times)
    }

    /// Median seconds of two variants of the same work, run alternately so both see the
    /// same machine state (cache contents, other processes, clock).
    func secondsSideBySide(_ first: () -> Void, _ second: () -> Void) -> (first: Double, second: Double) {
        let times = secondsInterleaved(2) { $0 == 0 ? first() : second() }
        return (times[0], times[1])
    }

    /// Median seconds of `body(0)`, …, `body(count - 1)`, run in turn within every repeat;
    /// `prepare` runs untimed at the start of each repeat.
    func secondsInterleaved(_ count: Int, prepare: () -> Void = {}, _ body: (Int) -> Void) -> [Double] {
        for _ in 0..<warmup {
            prepare()
            for index in 0..<count { body(index) }
        }
        var times = [[Double]](repeating: [], count: count)
        for _ in 0..<repeats {
            prepare()
            for index in 0..<count {
                let start = DispatchTime.now().uptimeNanoseconds
                body(index)
                times[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            }
        }
        return times.map(median)
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// A buffer of uniform values in [-scale, scale), seeded so every run sees the same data.
func randomBuffer(_ count: Int, scale: Float = 1, seed: UInt64) -> FloatBuffer {
    let buffer = FloatBuffer(count: count)
    var generator = SeededGenerator(seed: seed)
    for i in 0..<count { buffer.pointer[i] = scale * (2 * generator.nextUniform() - 1) }
    return buffer
}
