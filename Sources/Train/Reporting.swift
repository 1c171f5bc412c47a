import CommandLineSupport
import Foundation
import GPT

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
