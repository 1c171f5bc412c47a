import ArgumentParser
import Foundation
import GPT

/// Runs a command body; any error becomes one line on stderr and exit code 1.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ValidationError {
        printError("error: \(error.message)")
        throw ExitCode.failure
    } catch let error as ExitCode {
        throw error
    } catch {
        printError("error: \(error)")
        throw ExitCode.failure
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

func formatCount(_ n: Int) -> String {
    if n >= 1_000_000 { return String(format: "%.2fM", Double(n) / 1e6) }
    if n >= 10_000 { return String(format: "%.1fK", Double(n) / 1e3) }
    return String(n)
}

func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
    if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s)s"
}

/// The progress line: step, loss, lr, tokens/s, GFLOP/s, ETA.
func printTrainingEvent(_ event: TrainingEvent) {
    switch event.kind {
    case .log:
        let loss = event.loss.map { String(format: "%.4f", $0) } ?? "-"
        printError(String(format: "step %5d/%d | loss %@ | lr %.2e | %.0f tok/s | %.1f GFLOP/s | ETA %@",
                          event.step, event.maxSteps, loss, event.learningRate, event.tokensPerSecond,
                          event.gflops, formatDuration(event.etaSeconds ?? .nan)))
    case .evaluation:
        if let validationLoss = event.validationLoss {
            printError(String(format: "step %5d/%d | val loss %.4f", event.step, event.maxSteps, validationLoss))
        }
    case .saved(let directory, let best):
        printError(best ? "saved best checkpoint to \(directory)" : "saved checkpoint to \(directory)")
    }
}
