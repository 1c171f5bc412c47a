import CommandLineSupport
import Foundation
import GPT

/// The progress line: step, loss, lr, tokens/s (global), GFLOP/s, communication time, ETA.
func printTrainingEvent(_ event: TrainingEvent) {
    switch event.kind {
    case .log:
        let loss = event.loss.map { String(format: "%.4f", $0) } ?? "-"
        // Data-parallel runs add the seconds per step spent summing gradients across ranks.
        let communication = event.communicationSeconds > 0
            ? String(format: " | comm %.0f ms/step", event.communicationSeconds * 1000) : ""
        printError(String(format: "step %5d/%d | loss %@ | lr %.2e | %.0f tok/s | %.1f GFLOP/s%@ | ETA %@",
                          event.step, event.maxSteps, loss, event.learningRate, event.tokensPerSecond,
                          event.gflops, communication, formatDuration(event.etaSeconds ?? .nan)))
    case .evaluation:
        if let validationLoss = event.validationLoss {
            printError(String(format: "step %5d/%d | val loss %.4f", event.step, event.maxSteps, validationLoss))
        }
    case .saved(let directory, let best):
        printError(best ? "saved best checkpoint to \(directory)" : "saved checkpoint to \(directory)")
    }
}
