import Foundation

/// The two speeds the recommender needs: embedding a whole catalogue (sentences per second, best
/// of several runs) and embedding one query sentence (latency percentiles over many runs).
public enum EmbeddingBenchmark {
    public struct Result: Codable, Sendable {
        public let sentences: Int
        public let tokens: Int
        public let bestSeconds: Double
        public let sentencesPerSecond: Double
        /// CPU time (user + system, all threads) of the catalogue run with the least of it: on a
        /// machine shared with other work, a steadier measure of the work done than wall time.
        public let cpuSeconds: Double
        public let queryTokens: Int
        public let queryP50Milliseconds: Double
        public let queryP95Milliseconds: Double
    }

    public static func run(
        encoder: SentenceEncoder, texts: [String], repeats: Int, query: String, queryRuns: Int
    ) throws -> Result {
        precondition(repeats > 0 && queryRuns > 0, "repeats and query runs must be positive")
        let tokenized = texts.map(encoder.tokenizer.encode)
        var output = [Float](repeating: 0, count: texts.count * encoder.dimension)
        var (best, bestCPU) = (Double.infinity, Double.infinity)
        for _ in 0..<repeats {
            // Tokenizing is part of the work sentence-transformers' encode() does too.
            let (start, startCPU) = (DispatchTime.now().uptimeNanoseconds, processCPUSeconds())
            try output.withUnsafeMutableBufferPointer { try encoder.embed(texts, into: $0) }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            bestCPU = min(bestCPU, processCPUSeconds() - startCPU)
        }
        var single = [Float](repeating: 0, count: encoder.dimension)
        try single.withUnsafeMutableBufferPointer { try encoder.embed([query], into: $0) }  // warm-up
        var latencies: [Double] = []
        for _ in 0..<queryRuns {
            let start = DispatchTime.now().uptimeNanoseconds
            try single.withUnsafeMutableBufferPointer { try encoder.embed([query], into: $0) }
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(p * Double(latencies.count)))] }
        return Result(sentences: texts.count, tokens: tokenized.reduce(0) { $0 + $1.count }, bestSeconds: best,
                      sentencesPerSecond: Double(texts.count) / best, cpuSeconds: bestCPU, queryTokens: encoder.tokenizer.encode(query).count,
                      queryP50Milliseconds: percentile(0.5), queryP95Milliseconds: percentile(0.95))
    }

    /// User + system CPU time of the whole process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        let seconds = { (time: timeval) in Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
