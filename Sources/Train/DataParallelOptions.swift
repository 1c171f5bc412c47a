import ArgumentParser
import DataParallel
import GPT

/// Data-parallel training: under `mpirun -np N` every rank trains on its share of each global
/// batch (`--batch-size` sequences per rank); started any other way, `train` is one process.
struct DataParallelOptions: ParsableArguments {
    @Option(help: "Under mpirun: seconds a rank waits for the others in one exchange before ending the run with an error (a rank died or hangs).")
    var rankTimeout: Double = 300

    /// The ranks of this run: mpirun's job, or this process alone.
    func processGroup() throws -> ProcessGroup {
        guard rankTimeout > 0 else { throw ValidationError("--rank-timeout must be positive (got \(rankTimeout))") }
        return MPIProcessGroup.isLaunchedByMPIRun ? try MPIProcessGroup(timeout: rankTimeout) : SingleProcess()
    }
}

/// Ends a finished run: every rank waits for the others (rank 0 may still be saving), then MPI stops.
func finish(_ group: ProcessGroup) throws {
    try (group as? MPIProcessGroup)?.finish()
}
