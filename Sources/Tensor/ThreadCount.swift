import CKernels
import Foundation

/// How many threads a Finch process computes with: `--threads`, else `FINCH_NUM_THREADS`, else
/// the cores this process may run on. Under mpirun, when the process is not bound to a subset
/// of the host, those cores are divided among the host's ranks so they do not fight over them.
public enum ThreadCount {
    public static let environmentVariable = "FINCH_NUM_THREADS"

    /// The default count, from the affinity mask (taskset, cgroup cpusets, mpirun binding)
    /// rather than every core the machine has.
    public static func automatic(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        let online = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let allowed = finch_affinity_cpu_count()
        let cores = allowed > 0 ? Int(allowed) : online
        guard cores >= online, let localRanks = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init), localRanks > 1 else {
            return max(1, cores)
        }
        return max(1, cores / localRanks)
    }

    /// The count for a `--threads` flag value (nil when absent), or why it is unusable.
    public static func resolve(flag: Int?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int {
        if let flag {
            guard flag >= 1 else { throw ThreadCountError("--threads must be at least 1 (got \(flag))") }
            return flag
        }
        if let text = environment[environmentVariable] {
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 1 else {
                throw ThreadCountError("\(environmentVariable) must be a whole number of at least 1 (got \"\(text)\")")
            }
            return value
        }
        return automatic(environment: environment)
    }

    /// Resolves the count and makes the kernels and OpenBLAS use it; what each command calls
    /// before it starts working.
    @discardableResult
    public static func configure(flag: Int?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int {
        let count = try resolve(flag: flag, environment: environment)
        Parallel.setThreadCount(count)
        return count
    }
}

public struct ThreadCountError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
