import Foundation
import GPT
import Tensor

/// The hyper-parameters of a set of LoRA adapters: rank, alpha, dropout and which of a
/// block's projections carry one.
public struct LoRAConfiguration: Sendable, Equatable {
    public var rank: Int
    public var alpha: Float
    /// Probability of zeroing an adapter input during training (PEFT's `lora_dropout`).
    public var dropout: Float
    /// Projections that carry an adapter, in every block.
    public var targets: Set<Projection>
    /// rsLoRA scales by alpha/√r instead of alpha/r (PEFT's `use_rslora`).
    public var useRSLoRA: Bool

    public init(rank: Int, alpha: Float, dropout: Float = 0, targets: Set<Projection> = Set(Projection.allCases),
                useRSLoRA: Bool = false) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = targets
        self.useRSLoRA = useRSLoRA
    }

    /// Far above any useful rank (a rank above a projection's width adds nothing), low enough
    /// that every adapter size is a product that fits an `Int`.
    public static let maximumRank = 1 << 16

    /// The factor on B·A: alpha/r (or alpha/√r with rsLoRA).
    public var scaling: Float {
        useRSLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank)
    }

    /// Why these settings cannot build adapters, as one line naming the flag, or nil.
    public var problem: String? {
        if let problem = SizeCheck.problem("--lora-rank", rank, in: 1...Self.maximumRank) { return problem }
        if !(alpha > 0) || !alpha.isFinite { return "--lora-alpha must be positive (got \(alpha))" }
        if !(dropout >= 0 && dropout < 1) { return "--lora-dropout must be in [0, 1) (got \(dropout))" }
        if targets.isEmpty { return "--lora-targets must name at least one projection" }
        return nil
    }

    /// The targets in block order (c_attn, attn.c_proj, c_fc, mlp.c_proj).
    public var orderedTargets: [Projection] { Projection.allCases.filter(targets.contains) }

    /// PEFT's `target_modules` for these targets: module-name suffixes, `c_proj` when both
    /// c_proj layers are targeted, the qualified name when only one is.
    public var targetModules: [String] {
        var names: [String] = []
        if targets.contains(.attention) { names.append("c_attn") }
        if targets.contains(.attentionProjection) && targets.contains(.fcProjection) {
            names.append("c_proj")
        } else if targets.contains(.attentionProjection) {
            names.append("attn.c_proj")
        } else if targets.contains(.fcProjection) {
            names.append("mlp.c_proj")
        }
        if targets.contains(.fc) { names.append("c_fc") }
        return names
    }

    /// The projections a list of target names selects, matched as PEFT matches them: a name
    /// selects every module whose full name is it or ends with `.` + it, so `c_proj` selects
    /// both `attn.c_proj` and `mlp.c_proj`. A name that selects nothing is an error.
    public static func targets(named names: [String]) throws -> Set<Projection> {
        var selected = Set<Projection>()
        for raw in names {
            let name = raw.trimmingCharacters(in: .whitespaces)
            // Adapters here go on every block; a name that picks one layer cannot be honoured.
            guard !name.contains(where: \.isNumber) else {
                throw LoRAError.invalidConfiguration(
                    "target \"\(raw)\" names a single layer; targets apply to every block (use c_attn, attn.c_proj, c_fc, mlp.c_proj or c_proj)")
            }
            let matches = Projection.allCases.filter { projection in
                let full = "transformer.h.0." + projection.rawValue
                return full.hasSuffix("." + name)
            }
            guard !matches.isEmpty else {
                throw LoRAError.invalidConfiguration(
                    "target \"\(raw)\" matches none of GPT-2's projections (c_attn, attn.c_proj, c_fc, mlp.c_proj, c_proj)")
            }
            selected.formUnion(matches)
        }
        return selected
    }
}

public enum LoRAError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case invalidConfiguration(String)
    case mismatch(String)
    case file(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message), .mismatch(let message), .file(let message): message
        }
    }

    public var errorDescription: String? { description }
}
