import CMPI
import Foundation
import GPT

/// The ranks of an `mpirun` job, through Open MPI loaded at run time (see `Sources/CMPI`).
/// A collective that waits longer than `timeout` seconds (a rank died or hangs) ends this
/// process with an error line, which makes mpirun end the others.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    let watchdog: CollectiveWatchdog

    /// Whether this process was started by Open MPI's launcher (mpirun / mpiexec / prterun).
    public static var isLaunchedByMPIRun: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    /// Starts MPI in this process (once: MPI cannot be started again after `finish()`).
    public init(timeout: Double) throws {
        var message = [CChar](repeating: 0, count: 1024)
        if finch_mpi_open(&message, message.count) != 0 {
            throw GPTError.invalidConfig(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        var rank: Int32 = 0, size: Int32 = 0
        try Self.check(finch_mpi_rank(&rank), "MPI_Comm_rank")
        try Self.check(finch_mpi_size(&size), "MPI_Comm_size")
        self.rank = Int(rank)
        self.size = Int(size)
        watchdog = CollectiveWatchdog(rank: Int(rank), timeout: timeout)
    }

    public func allReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) throws {
        try collective("summing gradients") { finch_mpi_allreduce_sum_float(values, Int64(count)) }
    }

    public func allReduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) throws {
        try collective("summing losses") { finch_mpi_allreduce_sum_double(values, Int64(count)) }
    }

    public func allReduceMax(_ values: UnsafeMutablePointer<Int64>, count: Int) throws {
        try collective("comparing the ranks' configurations") { finch_mpi_allreduce_max_int64(values, Int64(count)) }
    }

    public func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, from root: Int) throws {
        try collective("receiving rank \(root)'s configuration") {
            finch_mpi_broadcast_bytes(bytes, Int64(count), Int32(root))
        }
    }

    /// Waits for every rank, then shuts MPI down (the end of a successful run).
    public func finish() throws {
        try collective("finishing") { finch_mpi_barrier() }
        try Self.check(finch_mpi_finalize(), "MPI_Finalize")
    }

    func collective(_ activity: String, _ call: () -> Int32) throws {
        watchdog.begin(activity)
        let code = call()
        watchdog.end()
        try Self.check(code, activity)
    }

    static func check(_ code: Int32, _ activity: String) throws {
        guard code != 0 else { return }
        var message = [CChar](repeating: 0, count: 1024)
        finch_mpi_error_string(code, &message, message.count)
        let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw GPTError.invalidInput("MPI failed while \(activity): \(reason); another rank has probably died")
    }
}
