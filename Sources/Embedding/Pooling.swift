import Tensor

/// sentence-transformers' `Pooling` module in mean mode: a sentence's embedding is the mean of its
/// tokens' hidden states over the attention mask, [CLS] and [SEP] included.
public enum MeanPooling {
    /// out[s] = mean of hidden rows offsets[s]..<offsets[s + 1]; hidden [R, C] → out [S, C].
    public static func forward(
        out: UnsafeMutablePointer<Float>, hidden: UnsafePointer<Float>, offsets: [Int], channels c: Int
    ) {
        for s in 0..<(offsets.count - 1) {
            let target = out + s * c
            target.update(repeating: 0, count: c)
            for row in offsets[s]..<offsets[s + 1] {
                let source = hidden + row * c
                for i in 0..<c { target[i] += source[i] }
            }
            let inverse = 1 / Float(max(1, offsets[s + 1] - offsets[s]))
            for i in 0..<c { target[i] *= inverse }
        }
    }

    /// The pooling modes of a `1_Pooling/config.json`; only mean pooling is implemented, and a
    /// folder asking for another mode is refused rather than embedded differently.
    private struct File: Decodable {
        let word_embedding_dimension: Int?
        let pooling_mode_cls_token: Bool?
        let pooling_mode_mean_tokens: Bool?
        let pooling_mode_max_tokens: Bool?
        let pooling_mode_mean_sqrt_len_tokens: Bool?
        let pooling_mode_weightedmean_tokens: Bool?
        let pooling_mode_lasttoken: Bool?
    }

    /// Throws unless the file asks for mean pooling alone, over `dimension`-wide hidden states.
    static func validateConfig(at path: String, dimension: Int) throws {
        let file = try JSONFile.decode(File.self, at: path)
        let others = [("pooling_mode_cls_token", file.pooling_mode_cls_token),
                      ("pooling_mode_max_tokens", file.pooling_mode_max_tokens),
                      ("pooling_mode_mean_sqrt_len_tokens", file.pooling_mode_mean_sqrt_len_tokens),
                      ("pooling_mode_weightedmean_tokens", file.pooling_mode_weightedmean_tokens),
                      ("pooling_mode_lasttoken", file.pooling_mode_lasttoken)]
        if let (mode, _) = others.first(where: { $0.1 == true }) {
            throw EmbeddingError("\(path): \(mode) is not supported (Finch implements pooling_mode_mean_tokens only)")
        }
        guard file.pooling_mode_mean_tokens == true else {
            throw EmbeddingError("\(path): pooling_mode_mean_tokens is not true (Finch implements mean pooling only)")
        }
        if let width = file.word_embedding_dimension, width != dimension {
            throw EmbeddingError("\(path): word_embedding_dimension \(width) differs from config.json's hidden_size \(dimension)")
        }
    }
}

/// sentence-transformers' `Normalize` module: each row divided by its L2 norm (at least 1e-12,
/// as torch.nn.functional.normalize), so a dot product of two embeddings is their cosine.
public enum L2Normalize {
    public static func forward(_ x: UnsafeMutablePointer<Float>, rows: Int, channels c: Int) {
        for r in 0..<rows {
            let row = x + r * c
            let inverse = 1 / max(VectorMath.dot(row, row, c).squareRoot(), 1e-12)
            for i in 0..<c { row[i] *= inverse }
        }
    }
}
