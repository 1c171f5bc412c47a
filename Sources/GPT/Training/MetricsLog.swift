import Foundation
import Tensor

/// `metrics.jsonl`: one JSON object per log and evaluation step, for people to plot
/// (keys `step`, `loss`, `lr`, `tokens_per_s`, `gflops`, `elapsed_s`, and `comm_s` per step
/// in data-parallel runs; evaluation rows add `val_loss`). Also renders `loss.svg` from it.
///
/// The file is rewritten with each checkpoint, in the same set, so it always matches the saved
/// step; between checkpoints rows are appended as they come. Until this run's first checkpoint
/// nothing is written: a run that fails early leaves the previous run's metrics as they were.
final class MetricsLog {
    static let fileName = "metrics.jsonl"
    static let plotName = "loss.svg"

    let path: String
    let plotPath: String
    private var rows: [String] = []
    private var isCommitted = false
    private(set) var trainPoints: [(step: Int, loss: Float)] = []
    private(set) var validationPoints: [(step: Int, loss: Float)] = []

    init(directory: String) {
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        plotPath = (directory as NSString).appendingPathComponent(Self.plotName)
    }

    /// Keeps the rows of steps ≤ `step` (a resumed run continues its history; a fresh run,
    /// step 0, starts empty) and loads them for the plot.
    func start(keepingStepsUpTo step: Int) {
        rows = []
        isCommitted = false
        guard step > 0, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        for line in text.split(whereSeparator: \.isNewline) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let rowStep = object["step"] as? Int, rowStep <= step else { continue }
            rows.append(String(line))
            record(object)
        }
    }

    func append(_ event: TrainingEvent) throws {
        var object: [String: Any] = ["step": event.step]
        // JSON has no NaN or infinity: a non-finite value is left out of its row (the plot skips it).
        func put(_ key: String, _ value: Double?) {
            if let value, value.isFinite { object[key] = value }
        }
        put("lr", Double(event.learningRate))
        put("tokens_per_s", event.tokensPerSecond.rounded())
        put("gflops", (event.gflops * 100).rounded() / 100)
        put("elapsed_s", (event.elapsedSeconds * 1000).rounded() / 1000)
        put("loss", event.loss.map(Double.init))
        if event.communicationSeconds > 0 { put("comm_s", (event.communicationSeconds * 1e4).rounded() / 1e4) }
        if case .evaluation = event.kind { put("val_loss", event.validationLoss.map(Double.init)) }
        record(object, isEvaluation: { if case .evaluation = event.kind { return true } else { return false } }())
        let line = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        rows.append(line)
        guard isCommitted else { return }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw GPTError.checkpoint("\(path): cannot open for appending")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((line + "\n").utf8))
    }

    private func record(_ object: [String: Any], isEvaluation: Bool? = nil) {
        guard let step = object["step"] as? Int else { return }
        if let validationLoss = object["val_loss"] as? Double {
            validationPoints.append((step, Float(validationLoss)))
        } else if isEvaluation != true, let loss = object["loss"] as? Double {
            trainPoints.append((step, Float(loss)))
        }
    }

    /// The whole file and the plot, staged with a checkpoint.
    func stage(in set: FileSet) throws {
        let contents = rows.isEmpty ? "" : rows.joined(separator: "\n") + "\n"
        try set.stage(Data(contents.utf8), to: path)
        let svg = LossPlot(series: [
            .init(name: "train loss", color: "#1f77b4", points: trainPoints.map { (Double($0.step), Double($0.loss)) }),
            .init(name: "val loss", color: "#d62728", points: validationPoints.map { (Double($0.step), Double($0.loss)) }),
        ]).svg()
        try set.stage(Data(svg.utf8), to: plotPath)
    }

    /// The staged file is in place: later rows are appended to it.
    func committed() {
        isCommitted = true
    }
}
