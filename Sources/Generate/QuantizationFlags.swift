import ArgumentParser
import GPT
import Tensor

/// The flags that choose a quantization: `--bits 8|4` (`--int8` is `--bits 8`), the 4-bit
/// scheme, the group size, the embedding / LM head's own bits, and the scale choice.
struct QuantizationFlags: ParsableArguments {
    @Flag(help: "Same as --bits 8.")
    var int8 = false

    @Option(parsing: .unconditional, help: "Quantize the weights to 8 or 4 bits.")
    var bits: Int?

    /// Asymmetric by default: with searched scales it measured the lowest perplexity of the all-4-bit
    /// files on the README's Shakespeare model (the README's "4-bit weights" table).
    @Option(help: "4-bit scheme: symmetric (scale per group, ggml's Q4_0 shape) or asymmetric (scale and minimum per group, Q4_1's).")
    var scheme = QuantizationFormat.Scheme.symmetric.rawValue

    @Option(parsing: .unconditional, help: "Input features sharing one scale (default 64 at 8 bits, 32 at 4 bits, where it must be a multiple of 32).")
    var groupSize: Int?

    @Option(parsing: .unconditional, help: "Bits of the tied token embedding / LM head, 8 or 4 (default: --bits), at its default group size.")
    var embeddingBits: Int?

    @Flag(help: "4 bits: take each group's scale (and minimum) from its range instead of searching for the least squared error.")
    var rangeScales = false

    /// The quantization asked for, `defaultBits` when no flag asks, nil when neither does.
    /// Throws a `ValidationError` naming the flag.
    func quantization(defaultBits: Int? = nil) throws -> LoadQuantization? {
        if int8, let bits, bits != 8 { throw ValidationError("--int8 and --bits \(bits) disagree: --int8 is --bits 8") }
        guard let bits = bits ?? (int8 ? 8 : defaultBits) else {
            if groupSize != nil || embeddingBits != nil {
                throw ValidationError("--group-size and --embedding-bits need --bits 8 or 4 (or --int8)")
            }
            return nil
        }
        func format(_ bits: Int, _ groupSize: Int?, flag: String) throws -> QuantizationFormat {
            guard bits == 8 || bits == 4 else { throw ValidationError("\(flag) must be 4 or 8 (got \(bits))") }
            guard let scheme = QuantizationFormat.Scheme(rawValue: bits == 8 ? "symmetric" : scheme) else {
                throw ValidationError("--scheme must be symmetric or asymmetric (got \(self.scheme))")
            }
            do {
                return try QuantizationFormat(bits: bits, scheme: scheme, groupSize: groupSize)
            } catch let error as QuantizationError {
                throw ValidationError("--group-size: \(error.message)")
            }
        }
        let projections = try format(bits, groupSize, flag: "--bits")
        let embedding = try embeddingBits.map { $0 == bits ? projections : try format($0, nil, flag: "--embedding-bits") }
        return LoadQuantization(format: projections, embeddingFormat: embedding, searchScale: !rangeScales)
    }
}
