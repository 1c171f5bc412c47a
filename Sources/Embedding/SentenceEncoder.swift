import Foundation
import Synchronization
import Tensor

/// A sentence-transformers model folder run on Finch's kernels: WordPiece → BERT encoder → mean
/// pooling → L2 normalisation, so `embed` returns unit vectors whose dot product is the cosine.
///
///     let encoder = try SentenceEncoder(modelDirectory: "models/all-MiniLM-L6-v2")
///     let vectors = try encoder.embed(["WHITE HANGING HEART T-LIGHT HOLDER"])  // [[Float]] of 384
///
/// The folder holds `config.json`, `model.safetensors`, `vocab.txt`, and optionally
/// `tokenizer_config.json`, `sentence_bert_config.json` (max_seq_length) and
/// `1_Pooling/config.json` (mean pooling is the only mode accepted).
///
/// Safe to share between threads: each call works in buffers of its own.
public final class SentenceEncoder: @unchecked Sendable {
    public let tokenizer: WordPieceTokenizer
    public let encoder: BERTEncoder
    /// Tokens per forward batch: enough rows for efficient GEMMs, few enough that a batch's
    /// activations stay in the last-level cache. Set it before sharing the encoder between threads.
    public var batchTokens = 4096

    public var dimension: Int { encoder.config.hiddenSize }

    /// The last call's activations, kept for the next, one per core: a query would otherwise spend
    /// more time on fresh pages than on its forward pass, and each catalogue worker its first batch.
    private var spareWorkspaces: [BERTEncoder.Workspace] = []
    private let spareLock = NSLock()

    public init(modelDirectory: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: modelDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EmbeddingError.missingModel(modelDirectory)
        }
        let config = try BERTConfig(contentsOf: modelDirectory + "/config.json")
        let poolingPath = modelDirectory + "/1_Pooling/config.json"
        if FileManager.default.fileExists(atPath: poolingPath) {
            try MeanPooling.validateConfig(at: poolingPath, dimension: config.hiddenSize)
        }
        let maximumLength = min(try Self.maximumSequenceLength(directory: modelDirectory), config.maximumPositions)
        tokenizer = try WordPieceTokenizer(directory: modelDirectory, maximumLength: maximumLength)
        guard tokenizer.vocabularySize <= config.vocabularySize else {
            throw EmbeddingError("\(modelDirectory)/vocab.txt: \(tokenizer.vocabularySize) tokens, but config.json's vocab_size is \(config.vocabularySize)")
        }
        encoder = BERTEncoder(weights: try BERTWeights(path: modelDirectory + "/model.safetensors", config: config))
    }

    /// sentence-transformers' truncation length: `max_seq_length` of sentence_bert_config.json,
    /// else the tokenizer's `model_max_length`, else 512.
    static func maximumSequenceLength(directory: String) throws -> Int {
        struct SentenceBERTConfig: Decodable { let max_seq_length: Int? }
        struct TokenizerConfig: Decodable { let model_max_length: Double? }
        let sentencePath = directory + "/sentence_bert_config.json"
        if FileManager.default.fileExists(atPath: sentencePath),
           let length = try JSONFile.decode(SentenceBERTConfig.self, at: sentencePath).max_seq_length {
            guard length >= 2 else { throw EmbeddingError("\(sentencePath): max_seq_length \(length) is too small") }
            return length
        }
        let tokenizerPath = directory + "/tokenizer_config.json"
        if FileManager.default.fileExists(atPath: tokenizerPath),
           let length = try JSONFile.decode(TokenizerConfig.self, at: tokenizerPath).model_max_length,
           length >= 2, length < 1e9 {
            return Int(length)
        }
        return 512
    }

    /// One unit vector of `dimension` floats per text, in order.
    public func embed(_ texts: [String]) throws -> [[Float]] {
        var flat = [Float](repeating: 0, count: texts.count * dimension)
        try flat.withUnsafeMutableBufferPointer { try embed(texts, into: $0) }
        return (0..<texts.count).map { Array(flat[$0 * dimension..<($0 + 1) * dimension]) }
    }

    /// Writes text i's embedding to out[i·dimension..<(i + 1)·dimension]; `out` holds N·dimension.
    public func embed(_ texts: [String], into out: UnsafeMutableBufferPointer<Float>) throws {
        try embed(tokenized: tokenize(texts), into: out)
    }

    /// `tokenizer.encode` of every text, the texts split over the cores: serially, tokenizing the
    /// catalogue would leave the second core idle before the first batch.
    func tokenize(_ texts: [String]) -> [[Int32]] {
        var tokenized = [[Int32]](repeating: [], count: texts.count)
        tokenized.withUnsafeMutableBufferPointer { target in
            let base = target.baseAddress
            Parallel.forEachChunk(texts.count, costPerItem: Self.tokenizingCostPerText) { range in
                for index in range { (base! + index).pointee = tokenizer.encode(texts[index]) }
            }
        }
        return tokenized
    }

    /// Roughly the scalar operations of tokenizing a product description, in `Parallel`'s units:
    /// a query of one sentence stays on the calling thread.
    static let tokenizingCostPerText = 2_000

    /// The same from token ids (each `[CLS] … [SEP]`, as `tokenizer.encode` makes them).
    ///
    /// Identical sentences are encoded once; the others sorted by length and packed into batches
    /// of nearly equal token counts (`SentenceBatches`), so the projections are large GEMMs. With
    /// several batches and cores, each core takes whole batches (the longest first) with
    /// single-threaded kernels: splitting every GEMM and pass over the cores instead costs a
    /// synchronisation per kernel (about ten per layer and batch, plus OpenBLAS's own inside each GEMM).
    public func embed(tokenized: [[Int32]], into out: UnsafeMutableBufferPointer<Float>) throws {
        let c = dimension
        guard out.count == tokenized.count * c else {
            throw EmbeddingError("output holds \(out.count) floats, \(tokenized.count) embeddings of \(c) need \(tokenized.count * c)")
        }
        guard let base = out.baseAddress else { return }
        if let empty = tokenized.firstIndex(where: \.isEmpty) { throw EmbeddingError("sentence \(empty) has no tokens") }
        let plan = SentenceBatches(tokenized, batchTokens: batchTokens, workers: Parallel.coreCount,
                                   minimumTokens: Self.minimumParallelBatchTokens)
        let batches = plan.batches
        for batch in batches { try encoder.validate(tokens: batch.tokens, offsets: batch.offsets) }
        // Unique sentences' embeddings first; duplicates copied from them at the end.
        let distinct = plan.unique.count < tokenized.count ? FloatBuffer(count: plan.unique.count * c) : nil
        let target = distinct?.pointer ?? base
        let workers = min(Parallel.coreCount, batches.count)
        let largestSentenceCount = batches.map(\.sentences.count).max() ?? 1
        // Each worker claims the next batch until none is left; one worker keeps the kernels'
        // own threads (a query's single batch), several run them single-threaded.
        let next = Atomic<Int>(0)
        let encodeClaimedBatches = {
            let workspace = self.takeWorkspace(rows: plan.largestBatch)
            defer { self.returnWorkspace(workspace) }
            let pooled = FloatBuffer(count: largestSentenceCount * c)
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < batches.count else { break }
                self.run(batches[index], workspace: workspace, pooled: pooled, into: target)
            }
        }
        if workers <= 1 {
            encodeClaimedBatches()
        } else {
            Parallel.dataParallel(workers: workers) { _ in encodeClaimedBatches() }
        }
        if let distinct {
            for (sentence, index) in plan.uniqueIndex.enumerated() {
                (base + sentence * c).update(from: distinct.pointer + index * c, count: c)
            }
        }
    }

    /// The smallest batch split off for another core: below it, the GEMMs lose more efficiency
    /// than the second core gains.
    static let minimumParallelBatchTokens = 256

    /// Encodes, pools and normalises one batch, writing sentence i's embedding at out[i·C].
    private func run(_ batch: SentenceBatches.Batch, workspace: BERTEncoder.Workspace, pooled: FloatBuffer, into out: UnsafeMutablePointer<Float>) {
        let c = dimension
        encoder.forward(tokens: batch.tokens, offsets: batch.offsets, workspace: workspace)
        MeanPooling.forward(out: pooled.pointer, hidden: workspace.hidden.pointer, offsets: batch.offsets, channels: c)
        L2Normalize.forward(pooled.pointer, rows: batch.sentences.count, channels: c)
        for (row, index) in batch.sentences.enumerated() {
            (out + index * c).update(from: pooled.pointer + row * c, count: c)
        }
    }

    private func takeWorkspace(rows: Int) -> BERTEncoder.Workspace {
        spareLock.lock()
        defer { spareLock.unlock() }
        if let index = spareWorkspaces.firstIndex(where: { $0.rows >= rows }) {
            return spareWorkspaces.remove(at: index)
        }
        return BERTEncoder.Workspace(rows: rows, config: encoder.config)
    }

    /// Keeps the largest `Parallel.coreCount` workspaces.
    private func returnWorkspace(_ workspace: BERTEncoder.Workspace) {
        spareLock.lock()
        defer { spareLock.unlock() }
        spareWorkspaces.append(workspace)
        spareWorkspaces.sort { $0.rows > $1.rows }
        spareWorkspaces.removeLast(max(0, spareWorkspaces.count - max(1, Parallel.coreCount)))
    }
}

