import Foundation
import Tensor

/// `metrics.jsonl`: one JSON object per log and evaluation step, for people to plot
/// (keys `step`, `loss`, `lr`, `tokens_per_s`, `gflops`, `elapsed_s`, and `comm_s` per step
/// in data-parallel runs; evaluation rows add `val_loss`). Also renders `loss.svg` from it.
final class MetricsLog {
    static let fileName = "metrics.jsonl"
    static let plotName = "loss.svg"

    let path: String
    let plotPath: String
    private(set) var trainPoints: [(step: Int, loss: Float)] = []
    private(set) var validationPoints: [(step: Int, loss: Float)] = []

    init(directory: String) {
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        plotPath = (directory as NSString).appendingPathComponent(Self.plotName)
    }

    /// Keeps the rows of steps ≤ `step` (a resumed run continues its history; a fresh run,
    /// step 0, starts an empty file) and loads them for the plot.
    func start(keepingStepsUpTo step: Int) throws {
        var kept: [String] = []
        if step > 0, let text = try? String(contentsOfFile: path, encoding: .utf8) {
            for line in text.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let rowStep = object["step"] as? Int, rowStep <= step else { continue }
                kept.append(String(line))
                record(object)
            }
        }
        let contents = kept.isEmpty ? "" : kept.joined(separator: "\n") + "\n"
        try AtomicFile.write(Data(contents.utf8), to: path)
    }

    func append(_ event: TrainingEvent) throws {
        var object: [String: Any] = [
            "step": event.step,
            "lr": Double(event.learningRate),
            "tokens_per_s": event.tokensPerSecond.rounded(),
            "gflops": (event.gflops * 100).rounded() / 100,
            "elapsed_s": (event.elapsedSeconds * 1000).rounded() / 1000,
        ]
        if let loss = event.loss { object["loss"] = Double(loss) }
        if event.communicationSeconds > 0 { object["comm_s"] = (event.communicationSeconds * 1e4).rounded() / 1e4 }
        if case .evaluation = event.kind, let validationLoss = event.validationLoss {
            object["val_loss"] = Double(validationLoss)
        }
        record(object, isEvaluation: { if case .evaluation = event.kind { return true } else { return false } }())
        var line = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        line.append(0x0A)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw GPTError.checkpoint("\(path): cannot open for appending")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
    }

    private func record(_ object: [String: Any], isEvaluation: Bool? = nil) {
        guard let step = object["step"] as? Int else { return }
        if let validationLoss = object["val_loss"] as? Double {
            validationPoints.append((step, Float(validationLoss)))
        } else if isEvaluation != true, let loss = object["loss"] as? Double {
            trainPoints.append((step, Float(loss)))
        }
    }

    func writePlot() throws {
        let svg = LossPlot(series: [
            .init(name: "train loss", color: "#1f77b4", points: trainPoints.map { (Double($0.step), Double($0.loss)) }),
            .init(name: "val loss", color: "#d62728", points: validationPoints.map { (Double($0.step), Double($0.loss)) }),
        ]).svg()
        try AtomicFile.write(Data(svg.utf8), to: plotPath)
    }
}
