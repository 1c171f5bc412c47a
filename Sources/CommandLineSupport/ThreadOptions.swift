import ArgumentParser
import Tensor

/// `--threads`, which every command takes: the threads Finch's kernels and OpenBLAS use.
public struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads for the kernels and OpenBLAS (default: FINCH_NUM_THREADS, else the cores this process may use, shared among mpirun's ranks on the host).")
    public var threads: Int?

    public init() {}

    /// Applies the count; call it first in a command's body.
    public func configure() throws {
        do {
            try ThreadCount.configure(flag: threads)
        } catch let error as ThreadCountError {
            throw ValidationError(error.description)
        }
    }
}
