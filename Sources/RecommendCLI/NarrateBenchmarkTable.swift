import Foundation
import Narrative

/// The human-readable form of a `narrate-benchmark` report, beside issue 11's goals.
enum NarrateBenchmarkTable {
    static func render(_ report: NarrateBenchmark.Report) -> String {
        let grounding = report.grounding.fields
        func number(_ key: String) -> Double { (grounding[key] as? Double) ?? Double(grounding[key] as? Int ?? 0) }
        var rows: [(String, String, String)] = [
            ("narratives", "\(report.grounding.narratives) (\(report.customers) customers)", ""),
            ("product precision", String(format: "%.3f", number("product_precision")), "1.000"),
            ("price accuracy", String(format: "%.3f", number("price_accuracy")), "1.000"),
            ("number accuracy", String(format: "%.3f", number("number_accuracy")), "1.000"),
            ("fallback rate", String(format: "%.3f", number("fallback_rate")), "≤ 0.02"),
            ("distinct-2 (served)", String(format: "%.3f", report.distinct2), "≥ 0.4"),
            ("distinct-2 (delexicalised)", String(format: "%.3f", report.distinct2Delexicalised), ""),
            ("identical to a training narrative", String(format: "%.3f", report.identicalToTraining), "≤ 0.10"),
            ("names the reason's evidence (served)", String(format: "%.3f", report.evidenceShare), "≥ 0.90"),
            ("names it (as generated)", String(format: "%.3f", report.generatedEvidenceShare), ""),
            ("page of narratives p50 / p95", String(format: "%.0f / %.0f ms", report.pageP50, report.pageP95), "≤ 300 / 500 ms"),
        ]
        if !report.singleMilliseconds.isEmpty {
            rows.append(("one narrative p50", String(format: "%.0f ms", report.singleP50), "≤ 100 ms"))
        }
        if let perplexity = report.perplexity {
            rows.append(("held-out perplexity (completions)", String(format: "%.3f over %d tokens", perplexity.perplexity, perplexity.tokensScored), ""))
        }
        if let decode = report.decode {
            rows.append(("decode step, 10 sequences / 1", String(format: "%.2f / %.2f ms = %.2f× (CPU %.2f×)", decode.batchStepMillisecondsP50,
                                                                 decode.singleStepMillisecondsP50, decode.stepCostRatio, decode.stepCPURatio), "≤ 3×"))
        }
        let width = rows.map(\.0.count).max() ?? 0
        var lines = rows.map { name, value, goal in
            name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value + (goal.isEmpty ? "" : "   (goal \(goal))")
        }
        if !report.fallbackCauses.isEmpty {
            lines.append("fallback causes: " + report.fallbackCauses.map { "\($0.cause) \($0.count)" }.joined(separator: ", "))
            lines.append("fallbacks ended: " + report.fallbackPlaces.map { "\($0.place) \($0.count)" }.joined(separator: ", "))
        }
        lines.append("samples:")
        lines += report.samples.map { "  " + $0 }
        return lines.joined(separator: "\n")
    }
}
