import CKernels

/// The hand-off for the short parallel loops of a decoding step (`finch_spin_pool_run`):
/// persistent workers spin on an atomic between loops, where `Parallel` (Dispatch) wakes a
/// sleeping thread for every loop. A 4-bit decoding step of slm60m is 41 products of 20–400 µs;
/// through Dispatch the second core saved little more than the wake-ups cost.
/// The fp32 decoding products (`FloatGEMV.c`) call the same pool from C.
public enum SpinPool {
    /// When the workers take parts (`finch_spin_pool_set_policy`).
    public enum Policy: Int32, Sendable {
        /// Unless the machine is oversubscribed (load average above twice its cores + 1) or a worker
        /// was just found descheduled: spinning workers then cost the caller more than they save.
        case automatic = 0
        /// Whatever the load: for measuring on a loaded machine, and for tests.
        case always = 1
        case never = 2
        /// `FINCH_SPIN_POOL=always|never`, read again at the next loop, else automatic.
        case fromEnvironment = -1
    }

    /// Sets the policy for the whole process (until then `FINCH_SPIN_POOL=always|never`, else automatic).
    public static func setPolicy(_ policy: Policy) {
        finch_spin_pool_set_policy(policy.rawValue)
    }

    /// Whether a loop started now would use the workers: not when the policy, the machine's load or
    /// a back-off leaves every part to the caller (then a Dispatch loop still gets the other cores).
    public static var workersWelcome: Bool { finch_spin_pool_workers_welcome() != 0 }

    /// Calls `body(i)` for every i in 0..<count, each once, on the calling thread and up to
    /// `threads` − 1 workers, and returns when all are done. Parts are claimed one at a time, so
    /// a worker that is late (a loaded machine) leaves its parts to the caller. A call made while
    /// another is running, or from inside `body`, runs on the calling thread alone.
    public static func forEach(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        guard count > 0 else { return }
        withoutActuallyEscaping(body) { escapable in
            var task = escapable
            withUnsafeMutablePointer(to: &task) { pointer in
                finch_spin_pool_run(threads, count, { context, index in
                    guard let context else { return }
                    context.assumingMemoryBound(to: ((Int) -> Void).self).pointee(index)
                }, pointer)
            }
        }
    }

    /// `forEach` over `0..<count` cut into contiguous ranges of ⌈count / parts⌉ (the last one
    /// shorter, none empty): `body(part, range)` once for each.
    public static func forEachRange(_ count: Int, parts: Int, threads: Int, _ body: (Int, Range<Int>) -> Void) {
        guard count > 0, parts > 0 else { return }
        let perPart = (count + parts - 1) / parts
        forEach((count + perPart - 1) / perPart, threads: threads) { part in
            body(part, part * perPart..<min(count, (part + 1) * perPart))
        }
    }
}
