import Foundation
import Tensor

/// What data-parallel training does across ranks beyond the step itself: summing gradients,
/// and checking at the start that every rank was given the same run.
extension Trainer {
    /// Sums the ranks' gradients and weighted losses in place. Each rank's gradient already
    /// carries its share's weight (`BatchShare.lossWeight`), so the sum is the gradient of the
    /// global batch's mean loss, as one process would compute it.
    func sumAcrossRanks(loss: inout Float) throws {
        let gradients = target.trainableGradients
        try group.allReduceSum(gradients.pointer, count: gradients.count)
        var total = Double(loss)
        try group.allReduceSum(&total, count: 1)
        loss = Float(total)
    }

    /// Rank 0 broadcasts fingerprints of its flags, data, weights and trainer state; every rank
    /// compares them with its own and all learn which differ on which ranks, so every rank
    /// stops with the same error before anything is written.
    func verifyAgreement() throws {
        let parts = agreementParts()
        var reference = parts.map { Int64(bitPattern: $0.fingerprint) }
        try reference.withUnsafeMutableBytes { try group.broadcast($0.baseAddress!, count: $0.count, from: 0) }
        var differing = [Int64](repeating: 0, count: group.size * parts.count)
        for (i, part) in parts.enumerated() where Int64(bitPattern: part.fingerprint) != reference[i] {
            differing[group.rank * parts.count + i] = 1
        }
        try differing.withUnsafeMutableBufferPointer { try group.allReduceMax($0.baseAddress!, count: $0.count) }
        var problems: [String] = []
        for (i, part) in parts.enumerated() {
            let ranks = (0..<group.size).filter { differing[$0 * parts.count + i] != 0 }
            if !ranks.isEmpty {
                problems.append("\(part.name) (rank\(ranks.count > 1 ? "s" : "") \(ranks.map(String.init).joined(separator: ", ")))")
            }
        }
        guard problems.isEmpty else {
            throw GPTError.invalidConfig("rank \(group.rank) of \(group.size): the ranks disagree with rank 0 on "
                + problems.joined(separator: ", ") + "; start every rank with the same flags, data and checkpoint")
        }
    }

    func agreementParts() -> [(name: String, fingerprint: UInt64)] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func json<Value: Encodable>(_ value: Value) -> UInt64 {
            var fingerprint = Fingerprint()
            if let data = try? encoder.encode(value) { data.withUnsafeBytes { fingerprint.add($0) } }
            return fingerprint.value
        }
        var weights = Fingerprint()
        weights.add(target.trainableParameters)
        var resumedState = Fingerprint(json(state))
        resumedState.add(firstMoment)
        resumedState.add(secondMoment)
        let settings = sharedSettings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return [
            ("the training flags", json(options)),
            ("the model shape", json(state.config)),
            ("the training data", Fingerprint(of: train).value),
            ("the validation data", validation.map { Fingerprint(of: $0).value } ?? 0),
            ("the starting weights", weights.value),
            ("the trainer state", resumedState.value),
            ("the other flags (\(sharedSettings.keys.sorted().joined(separator: ", ")))", json(settings)),
        ]
    }
}

/// FNV-1a over 64-bit words: a fingerprint to compare, not a defence against forgery.
struct Fingerprint {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    init(_ seed: UInt64 = 0) { mix(seed) }

    /// The token count and 64 windows of 64 tokens spread over the stream: enough to tell
    /// different files apart without reading a large one whole.
    init(of source: TokenSource) {
        mix(UInt64(source.tokenCount))
        let window = min(64, source.tokenCount)
        var tokens = [Int32](repeating: 0, count: window)
        for i in 0..<64 where window > 0 {
            let offset = (source.tokenCount - window) * i / 63
            tokens.withUnsafeMutableBufferPointer { source.copyTokens(from: offset, count: window, into: $0.baseAddress!) }
            for token in tokens { mix(UInt64(UInt32(bitPattern: token))) }
        }
    }

    mutating func mix(_ word: UInt64) {
        value = (value ^ word) &* 0x0000_0100_0000_01B3
    }

    mutating func add(_ buffer: FloatBuffer) {
        add(UnsafeRawBufferPointer(start: buffer.pointer, count: buffer.count * MemoryLayout<Float>.stride))
    }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        let words = bytes.count / 8
        for i in 0..<words { mix(bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
        for i in (8 * words)..<bytes.count { mix(UInt64(bytes[i])) }
        mix(UInt64(bytes.count))
    }
}
