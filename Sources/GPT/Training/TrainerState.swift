import Foundation
import Tensor

/// What `--resume` needs beyond the weights: the step, the optimiser moments, the sampling
/// generator (which is the data position) and the best validation loss so far.
/// Kept beside the checkpoint in `trainer_state.json` and `trainer_state.safetensors`.
public struct TrainerState: Codable, Sendable, Equatable {
    public var step: Int
    public var generatorState: [UInt64]
    public var bestValidationLoss: Float?
    public var tokensSeen: Int
    public var elapsedSeconds: Double
    public var options: TrainingOptions
    public var config: GPTConfig

    public static let jsonFile = "trainer_state.json"
    public static let momentsFile = "trainer_state.safetensors"

    /// Writes the moments and the JSON, staged in `set` so they are replaced together with the
    /// weights they belong to.
    public func save(directory: String, segments: [ParameterSegment], firstMoment: FloatBuffer,
                     secondMoment: FloatBuffer, in set: FileSet? = nil) throws {
        var writer = SafeTensorsWriter()
        writer.metadata = ["step": String(step)]
        for segment in segments {
            try writer.add("exp_avg." + segment.name,
                       floats: UnsafeBufferPointer(start: firstMoment.pointer + segment.offset, count: segment.count),
                       shape: [segment.count])
            try writer.add("exp_avg_sq." + segment.name,
                       floats: UnsafeBufferPointer(start: secondMoment.pointer + segment.offset, count: segment.count),
                       shape: [segment.count])
        }
        try writer.write(to: (directory as NSString).appendingPathComponent(Self.momentsFile), in: set)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = Self.nonFiniteNumbers
        try AtomicFile.write(try encoder.encode(self), to: (directory as NSString).appendingPathComponent(Self.jsonFile), in: set)
    }

    /// JSON has no NaN or infinity; a best loss of inf or a flag such as `--grad-clip inf` that
    /// slipped through is written as a string rather than failing the save half-way.
    static let nonFiniteNumbers = JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

    /// Reads the state of the last complete checkpoint in `directory`, first finishing a save a
    /// killed run left half-done (see `FileSet.recover`).
    public static func load(directory: String) throws -> TrainerState {
        try FileSet.recover(directory: directory)
        let path = (directory as NSString).appendingPathComponent(jsonFile)
        guard RegularFile.exists(path) else {
            throw GPTError.checkpoint("\(path): not found; --resume needs a directory written by a previous run")
        }
        let data: Data
        do {
            data = try RegularFile.contents(of: path, limit: 1 << 20)
        } catch {
            throw GPTError.checkpoint("\(error)")
        }
        do {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return try decoder.decode(TrainerState.self, from: data)
        } catch {
            throw GPTError.checkpoint("\(path): unreadable trainer state (\(error))")
        }
    }

    /// Reads the moments written with this state into the two buffers.
    public func loadMoments(directory: String, segments: [ParameterSegment], firstMoment: FloatBuffer,
                            secondMoment: FloatBuffer) throws {
        let path = (directory as NSString).appendingPathComponent(Self.momentsFile)
        let file = try SafeTensorsFile(path: path)
        guard file.metadata["step"] == String(step) else {
            throw GPTError.checkpoint("\(path): written at step \(file.metadata["step"] ?? "?") but \(Self.jsonFile) is at step \(step); the checkpoint was interrupted while saving")
        }
        for segment in segments {
            try file.copyFloats("exp_avg." + segment.name, into: firstMoment.pointer + segment.offset, count: segment.count)
            try file.copyFloats("exp_avg_sq." + segment.name, into: secondMoment.pointer + segment.offset, count: segment.count)
        }
    }
}
