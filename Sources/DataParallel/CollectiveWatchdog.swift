import Foundation

/// Ends the process when one collective call waits longer than `timeout` seconds. MPI's
/// blocking calls cannot time out by themselves, and a rank that hangs (stopped, deadlocked,
/// its host unreachable) would otherwise keep every other rank waiting forever; a rank that
/// exits is noticed by mpirun, which then ends the whole job.
final class CollectiveWatchdog: @unchecked Sendable {
    let rank: Int
    let timeout: Double
    private let lock = NSLock()
    private var started: Date?
    private var activity = ""

    init(rank: Int, timeout: Double) {
        self.rank = rank
        self.timeout = timeout
        let thread = Thread { self.watch() }
        thread.name = "finch-mpi-watchdog"
        thread.start()
    }

    func begin(_ activity: String) {
        lock.withLock {
            started = Date()
            self.activity = activity
        }
    }

    func end() {
        lock.withLock { started = nil }
    }

    private func watch() {
        while true {
            Thread.sleep(forTimeInterval: min(1, timeout / 4))
            let overdue: String? = lock.withLock {
                guard let started, Date().timeIntervalSince(started) > timeout else { return nil }
                return activity
            }
            if let overdue {
                // From this thread no MPI call is allowed (MPI was started single-threaded),
                // so the process ends itself; mpirun sees the exit and ends the other ranks.
                FileHandle.standardError.write(Data(String(
                    format: "error: rank %d: no answer from the other ranks for %.0f s while %@; a rank has died or hangs (raise --rank-timeout if steps are this slow)\n",
                    rank, timeout, overdue).utf8))
                _exit(1)
            }
        }
    }
}
