import Dispatch
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Wall time and the CPU time of the whole process (all threads) of one run.
struct Timing {
    var wall: Double
    var cpu: Double
}

/// Median timings of repeated runs after a warm-up. The median, not the mean, because on a
/// 2-core machine shared with other work the odd run is interrupted; variants of the same work
/// run alternately within each repeat so they all see the same machine state. CPU time is
/// reported next to wall time because on a busy machine wall time mostly measures the others:
/// CPU time is what the kernel itself costs (spinning threads included).
struct Stopwatch {
    let warmup: Int
    let repeats: Int

    /// Median timings of `body(0)`, …, `body(count - 1)`, run in turn within every repeat.
    func timeInterleaved(_ count: Int, _ body: (Int) -> Void) -> [Timing] {
        for _ in 0..<warmup {
            for index in 0..<count { body(index) }
        }
        var walls = [[Double]](repeating: [], count: count)
        var cpus = [[Double]](repeating: [], count: count)
        for _ in 0..<repeats {
            for index in 0..<count {
                let (wall, cpu) = (DispatchTime.now().uptimeNanoseconds, Self.processCPUSeconds())
                body(index)
                walls[index].append(Double(DispatchTime.now().uptimeNanoseconds - wall) * 1e-9)
                cpus[index].append(Self.processCPUSeconds() - cpu)
            }
        }
        return (0..<count).map { Timing(wall: median(walls[$0]), cpu: median(cpus[$0])) }
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
